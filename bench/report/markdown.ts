/**
 * Markdown building blocks of the report, and the splicing that keeps the hand-written parts of
 * docs/scaling.md while replacing its generated block.
 */

/** A table cell: pipes escaped and line breaks flattened, so a cell never breaks the table. */
export function mdCell(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A GitHub-flavoured markdown table; columns listed in rightAligned are right-aligned (numbers). */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: readonly number[] = []): string {
  for (const row of rows) {
    if (row.length !== header.length) throw new RangeError(`table row has ${row.length} cells, header has ${header.length}`);
  }
  const line = (cells: readonly string[]): string => `| ${cells.map(mdCell).join(' | ')} |`;
  const rule = `|${header.map((_, i) => (rightAligned.includes(i) ? ' ---: ' : ' --- ')).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** A fenced shell code block. */
export function mdShell(command: string): string {
  return `\`\`\`sh\n${command}\n\`\`\``;
}

/** An embedded image with a relative link. */
export function mdImage(alt: string, href: string): string {
  return `![${alt.replace(/[[\]]/g, '')}](${href})`;
}

/**
 * The document with the text between the begin and end marker lines replaced by generated; both
 * markers must be present, in that order, so hand-written text around them is never lost.
 */
export function spliceBetween(existing: string, begin: string, end: string, generated: string, path: string): string {
  const start = existing.indexOf(begin);
  const stop = existing.indexOf(end, start + begin.length);
  if (start < 0 || stop < 0) throw new Error(`${path} needs the marker lines "${begin}" and "${end}", in that order`);
  return `${existing.slice(0, start + begin.length)}\n\n${generated.trimEnd()}\n\n${existing.slice(stop)}`;
}

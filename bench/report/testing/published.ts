/**
 * Spec helper: compares a published page with what the renderer makes from the records. Every
 * line the page has that the rendering lacks is a number (or claim) with no record behind it.
 */

/** A line of the published page that the rendering does not produce, or one it produces that the page lacks. */
export interface PageDifference {
  kind: 'unbacked' | 'missing';
  line: number;
  text: string;
}

function counts(lines: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines) out.set(line, (out.get(line) ?? 0) + 1);
  return out;
}

function extra(lines: readonly string[], other: ReadonlyMap<string, number>, kind: PageDifference['kind']): PageDifference[] {
  const left = new Map(other);
  const out: PageDifference[] = [];
  lines.forEach((text, i) => {
    const n = left.get(text) ?? 0;
    if (n > 0) left.set(text, n - 1);
    else out.push({ kind, line: i + 1, text });
  });
  return out;
}

/**
 * The lines of published that rendered lacks ("unbacked", numbered in published) and the lines of
 * rendered that published lacks ("missing", numbered in rendered); empty when the two are equal.
 */
export function pageDifferences(published: string, rendered: string): PageDifference[] {
  if (published === rendered) return [];
  const a = published.split('\n');
  const b = rendered.split('\n');
  const found = [...extra(a, counts(b), 'unbacked'), ...extra(b, counts(a), 'missing')];
  // Same lines in another order (or only the final newline differs) still differ.
  return found.length > 0 ? found : [{ kind: 'unbacked', line: 0, text: '(same lines, different order or line endings)' }];
}

/** The differences as a message naming each line, for an assertion. */
export function describeDifferences(page: string, differences: readonly PageDifference[]): string {
  const lines = differences.slice(0, 20).map((d) => `  ${d.kind === 'unbacked' ? `${page}:${d.line} has no record behind it` : `rendering line ${d.line} is missing from ${page}`}: ${d.text}`);
  const more = differences.length > 20 ? [`  ... and ${differences.length - 20} more`] : [];
  return [`${page} is not what \`npm run bench:report\` renders from docs/results/ (run it and commit the result):`, ...lines, ...more].join('\n');
}

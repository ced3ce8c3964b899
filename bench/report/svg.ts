/**
 * Minimal SVG/XML writing: escaping, fixed-precision numbers and element strings. Output depends
 * only on the input (attribute order is the caller's, numbers are rounded), so charts are
 * byte-identical across runs and machines.
 */

/** An attribute value: numbers are written with fmt(). */
export type AttrValue = string | number;

// XML 1.0 forbids these code points anywhere in a document, even escaped.
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes text for element content or a double-quoted attribute; code points XML forbids become U+FFFD. */
export function escapeXml(text: string): string {
  return text
    .replace(FORBIDDEN, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A number rounded to at most `decimals` places, without exponent, trailing zeros or "-0". */
export function fmt(value: number, decimals = 2): string {
  if (!Number.isFinite(value)) throw new RangeError(`cannot write ${value} into SVG`);
  const fixed = value.toFixed(decimals);
  const trimmed = fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
  return trimmed === '-0' ? '0' : trimmed;
}

function attrs(attributes: Readonly<Record<string, AttrValue>>): string {
  return Object.entries(attributes)
    .map(([name, value]) => ` ${name}="${typeof value === 'number' ? fmt(value) : escapeXml(value)}"`)
    .join('');
}

/**
 * An element with already-serialized children (use text() for character data); childless elements
 * self-close. Element-only children go one per line, for readable diffs; mixed content stays inline.
 */
export function el(name: string, attributes: Readonly<Record<string, AttrValue>> = {}, children: readonly string[] = []): string {
  if (children.length === 0) return `<${name}${attrs(attributes)}/>`;
  const elementsOnly = children.every((child) => child.startsWith('<'));
  const inner = elementsOnly ? `\n${children.join('\n')}\n` : children.join('');
  return `<${name}${attrs(attributes)}>${inner}</${name}>`;
}

/** Escaped character data. */
export function text(content: string): string {
  return escapeXml(content);
}

/** A complete standalone SVG document of the given size, with an accessible title. */
export function svgDocument(width: number, height: number, title: string, body: readonly string[]): string {
  const root = el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      width,
      height,
      viewBox: `0 0 ${fmt(width)} ${fmt(height)}`,
      role: 'img',
      'font-family': 'sans-serif',
      'font-size': 12,
    },
    [el('title', {}, [text(title)]), el('rect', { width, height, fill: '#ffffff' }), ...body],
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root}\n`;
}

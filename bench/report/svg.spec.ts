import assert from 'node:assert/strict';
import { test } from 'node:test';

import { el, escapeXml, fmt, svgDocument, text } from './svg.js';

test('escapeXml escapes the five XML special characters', () => {
  assert.equal(escapeXml(`a<b>&"c"'d'`), 'a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;');
});

test('escapeXml replaces control characters and lone surrogates that XML forbids, keeping tabs, newlines and emoji', () => {
  assert.equal(escapeXml('a\u0000b\u001Fc\td\ne'), 'a\uFFFDb\uFFFDc\td\ne');
  assert.equal(escapeXml('x\uD800y\uDC00z'), 'x\uFFFDy\uFFFDz');
  assert.equal(escapeXml('GB/s \u{1F680}'), 'GB/s \u{1F680}');
});

test('fmt rounds to two decimals and drops trailing zeros and negative zero', () => {
  assert.equal(fmt(1.005), '1');
  assert.equal(fmt(12.3456), '12.35');
  assert.equal(fmt(340), '340');
  assert.equal(fmt(2.5), '2.5');
  assert.equal(fmt(-0.001), '0');
  assert.equal(fmt(1e-7), '0');
});

test('fmt refuses NaN and infinities, which would make invalid coordinates', () => {
  assert.throws(() => fmt(Number.NaN), RangeError);
  assert.throws(() => fmt(Infinity), RangeError);
});

test('el self-closes a childless element and writes attributes in the given order, escaped', () => {
  assert.equal(el('rect', { x: 1.234, title: 'a"b' }), '<rect x="1.23" title="a&quot;b"/>');
});

test('el puts element children one per line and keeps character data inline', () => {
  assert.equal(el('g', {}, [el('a'), el('b')]), '<g>\n<a/>\n<b/>\n</g>');
  assert.equal(el('text', { x: 0 }, [text('1 < 2')]), '<text x="0">1 &lt; 2</text>');
});

test('svgDocument writes the XML declaration, the SVG namespace, a title and a white background', () => {
  const doc = svgDocument(100, 50, 'A & B', []);
  assert.equal(
    doc,
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50" viewBox="0 0 100 50" role="img" font-family="sans-serif" font-size="12">\n' +
      '<title>A &amp; B</title>\n<rect width="100" height="50" fill="#ffffff"/>\n</svg>\n',
  );
});

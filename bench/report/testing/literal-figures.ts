/**
 * Spec helper: finds numbers written into the report's prose templates. A figure in
 * docs/benchmarks.md must come from a record, so the string literals of the modules that write the
 * report may hold no digits except inside words (int64, p50, H200).
 */
import ts from 'typescript';

/** A number found in a string literal: the source line and the literal's text. */
export interface LiteralFigure {
  line: number;
  figure: string;
  literal: string;
}

// A digit run not glued to a preceding letter, underscore, digit or slash: "2.6", "1.3x", "5 ms", but
// not "int64", "p50" or the version of "HTTP/2".
const FIGURE = /(?<![A-Za-z_\d/])\d+(?:[.,]\d+)*/g;

function isText(node: ts.Node): node is ts.StringLiteral | ts.NoSubstitutionTemplateLiteral | ts.TemplateLiteralLikeNode {
  return ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node);
}

/** Every number in the string and template literals of a TypeScript source (imports excluded). */
export function literalFigures(source: string, fileName = 'source.ts'): LiteralFigure[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
  const found: LiteralFigure[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
    if (isText(node)) {
      for (const match of node.text.matchAll(FIGURE)) {
        found.push({ line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1, figure: match[0], literal: node.text });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

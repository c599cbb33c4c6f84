/**
 * "Nothing else in the repo spells a metric name or attribute key as a literal": every string
 * literal outside packages/conventions is scanned for the contract's names. Rendered output
 * (deploy/, docs/) is generated from the contract and is not scanned.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import {
  BUSINESS_HEADERS,
  LOG_FIELDS,
  METRICS,
  METRIC_CATALOG,
  PROPAGATION_HEADERS,
  RESOURCE_ATTRIBUTES,
  SPAN_ATTRIBUTES,
} from '@pyairtable/conventions';

const ROOT = new URL('..', import.meta.url).pathname;
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'deploy', 'docs', 'coverage', '.git', 'conventions']);
const SOURCE_FILE = /\.(?:[cm]?[jt]s|tsx)$/;
/** Test data whose point is to spell field names as a service would: the PII corpus of keys. */
const SKIPPED_FILES = new Set(['packages/test-support/src/pii-corpus.ts']);

/** Names only the contract may spell. Dotted or underscored, so ordinary words never match. */
function contractNames(): string[] {
  const names = new Set<string>();
  for (const metric of METRIC_CATALOG) {
    names.add(metric.name);
    if (metric.type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
    names.add(metric.otelName);
    for (const label of metric.labels) if (label.name.includes('_')) names.add(label.name);
  }
  for (const key of [...Object.values(RESOURCE_ATTRIBUTES), ...Object.values(SPAN_ATTRIBUTES)])
    names.add(key);
  for (const header of [...Object.values(PROPAGATION_HEADERS), ...Object.values(BUSINESS_HEADERS)])
    if (header.startsWith('x-')) names.add(header);
  for (const field of Object.values(LOG_FIELDS)) if (/[._@]/.test(field)) names.add(field);
  return [...names];
}

/** Titles of `describe`/`it`/`test` (also `.each(...)`, `.runIf(...)`) are prose, not names. */
function isTestTitle(node: ts.Node): boolean {
  const call = node.parent;
  if (!ts.isCallExpression(call) || call.arguments[0] !== node) return false;
  return /^(?:describe|it|test)\b/.test(call.expression.getText());
}

export interface Finding {
  readonly line: number;
  readonly name: string;
}

/** Contract names appearing inside string or template literals of one source text. */
export function findContractLiterals(fileName: string, text: string, names: readonly string[]): Finding[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const patterns = names.map((name) => ({
    name,
    regex: new RegExp(
      `(?<![A-Za-z0-9_.@-])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_]|\\.[a-z])`,
    ),
  }));
  const findings: Finding[] = [];
  const visit = (node: ts.Node): void => {
    const literal =
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node) ||
      ts.isRegularExpressionLiteral(node);
    if (literal && !isTestTitle(node)) {
      for (const { name, regex } of patterns)
        if (regex.test(node.text))
          findings.push({ line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, name });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return findings;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : sourceFiles(join(dir, entry.name));
    const path = join(dir, entry.name);
    return SOURCE_FILE.test(entry.name) && !SKIPPED_FILES.has(relative(ROOT, path)) ? [path] : [];
  });
}

describe('contract names are spelled only in packages/conventions', () => {
  const names = contractNames();

  it('finds a planted literal, and ignores comments and identifiers', () => {
    const metric = METRICS.httpServerRequestDuration.name;
    const route = SPAN_ATTRIBUTES.httpRoute;
    const text = [
      `// ${metric} in a comment is fine`,
      'const route = SPAN.httpRoute;',
      `const bad = 'sum(rate(${metric}_bucket[5m]))';`,
      `const alsoBad = \`\${x} ${route}\`;`,
      `const fine = 'my.${route}.thing';`,
      `it('sets ${route} on the span', () => {});`,
      `const pattern = /^${metric}_count$/;`,
    ].join('\n');
    expect(findContractLiterals('fixture.ts', text, names)).toEqual([
      { line: 3, name: `${metric}_bucket` },
      { line: 4, name: route },
      { line: 7, name: `${metric}_count` },
    ]);
  });

  it('holds across the repository', () => {
    const findings = sourceFiles(ROOT).flatMap((file) =>
      findContractLiterals(file, readFileSync(file, 'utf8'), names).map(
        (finding) =>
          `${relative(ROOT, file)}:${finding.line} spells "${finding.name}"; import it from @pyairtable/conventions`,
      ),
    );
    expect(findings).toEqual([]);
  });
});

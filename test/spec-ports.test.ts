/**
 * The specification's ports are one table (`SPEC_PORTS` in packages/conventions): no source file
 * outside the contract spells one as a number or inside a string. Comments may name them; tests
 * and test data (which check the numbers) are not scanned.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { SPEC_PORTS } from '@pyairtable/conventions';

const ROOT = new URL('..', import.meta.url).pathname;
const PORTS = new Set<number>(Object.values(SPEC_PORTS));
const CONTRACT = 'packages/conventions/src/';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', 'dist'].includes(entry.name) ? [] : sources(path);
    return /\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** Port numbers a source text spells outside comments: numeric literals, and in string text. */
export function spelledPorts(fileName: string, text: string): { line: number; port: number }[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: { line: number; port: number }[] = [];
  const visit = (node: ts.Node): void => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    if (ts.isNumericLiteral(node) && PORTS.has(Number(node.text)))
      found.push({ line, port: Number(node.text) });
    if (
      ts.isStringLiteralLike(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    )
      for (const match of node.text.matchAll(/(?<![\w.])(\d{4,5})(?![\w.])/g))
        if (PORTS.has(Number(match[1]))) found.push({ line, port: Number(match[1]) });
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("the specification's ports", () => {
  it('are spelled only in the contract', () => {
    const files = ['packages', 'examples'].flatMap((top) =>
      readdirSync(join(ROOT, top)).flatMap((name) =>
        // `app` is the web UI's browser code.
        ['src', 'app'].flatMap((folder) => {
          try {
            return sources(join(ROOT, top, name, folder));
          } catch {
            return [];
          }
        }),
      ),
    );
    const findings = files
      .map((path) => relative(ROOT, path))
      // The contract (the table, and rule descriptions whose examples name ports) and test data.
      .filter((path) => !path.startsWith(CONTRACT) && !path.startsWith('packages/test-support/'))
      .flatMap((path) =>
        spelledPorts(path, readFileSync(join(ROOT, path), 'utf8')).map(
          ({ line, port }) => `${path}:${String(line)} spells ${String(port)}; read SPEC_PORTS`,
        ),
      );
    expect(findings).toEqual([]);
  });

  it.each([
    ['const port = 4318;', [4318]],
    ["const url = 'http://127.0.0.1:16686/api';", [16686]],
    ['const url = `redis://redis:6379/${db}`;', [6379]],
    ['// Grafana on 3001\nconst timeout = 30_000;', []],
    ["const version = '1.4318.2';", []],
  ])('finds the ports in %s', (text, ports) => {
    expect(spelledPorts('x.ts', text).map((finding) => finding.port)).toEqual(ports);
  });
});

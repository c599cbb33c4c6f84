/**
 * The CLI runs without the demo platform: only `obs up --demo` and `obs traffic` load it, and
 * without it they say how to get it. The shipped CLI does not carry the example and its SDK.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { UsageError, main } from '@pyairtable/cli';
import { loadDemo } from '../src/local/demo.js';

const SRC = new URL('../src/', import.meta.url).pathname;
const DEMO = '@pyairtable/demo';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Imports of the demo that load it at run time (type-only imports are erased). */
function valueImportsOfDemo(path: string): string[] {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  return source.statements.flatMap((statement) => {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) return [];
    if (
      statement.moduleSpecifier.text !== DEMO ||
      statement.importClause?.phaseModifier === ts.SyntaxKind.TypeKeyword
    )
      return [];
    return [statement.getText(source)];
  });
}

describe('the demo platform is optional for the CLI', () => {
  it('no CLI source imports it at load time', () => {
    const found = sources(SRC).flatMap((path) => valueImportsOfDemo(path).map((text) => `${path}: ${text}`));
    expect(found).toEqual([]);
  });

  it('is a peer dependency marked optional, not a dependency', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    expect(manifest.dependencies ?? {}).not.toHaveProperty([DEMO]);
    expect(manifest.peerDependenciesMeta?.[DEMO]?.optional).toBe(true);
  });

  it('says how to install it when a command needs it and it is missing', async () => {
    const missing = loadDemo('@pyairtable/no-such-demo');
    await expect(missing).rejects.toBeInstanceOf(UsageError);
    await expect(missing).rejects.toThrow(
      /not installed; obs up --demo and obs traffic need it: npm install/,
    );
  });

  it('loads it for obs traffic, whose help names the demo limits', async () => {
    const lines: string[] = [];
    const io = {
      stdout: (line: string) => lines.push(line),
      stderr: (line: string) => lines.push(line),
      env: {},
      cwd: process.cwd(),
    };
    expect(await main(['traffic', '--help'], io)).toBe(0);
    expect(lines.join('\n')).toMatch(/--rate <n>\s+requests per second, at most \d+/);
  });
});

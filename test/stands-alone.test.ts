/**
 * The repository stands alone: a user's clone has nothing beside it, so no tracked file may
 * read, import or link a path outside the repository, whether relative (a `..` path that climbs
 * past the root) or absolute to a developer's machine (a workspace or home directory).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const UNTRACKED_DIRS = new Set(['node_modules', 'dist', 'coverage', '.git']);

/** Machine-specific roots; system paths (`/usr`, `/etc`, `/var`, `/tmp`, `/proc`) are fine. */
const MACHINE_PATH = /(?<![\w.:/-])\/(?:work|home\/[\w.-]+|Users\/[\w.-]+|root)\/[\w.-][\w./-]*/g;
/** A relative path that climbs: one or more `../` then a name. */
const CLIMBING_PATH = /(?<![\w.])(?:\.\.\/)+[\w@.-][\w@./-]*/g;

export interface OutsideReference {
  readonly line: number;
  readonly text: string;
}

/** References in one file's text to places outside the repository (`file` is repo-relative). */
export function outsideReferences(file: string, text: string): OutsideReference[] {
  const found: OutsideReference[] = [];
  text.split('\n').forEach((line, index) => {
    for (const match of line.matchAll(MACHINE_PATH)) found.push({ line: index + 1, text: match[0] });
    for (const match of line.matchAll(CLIMBING_PATH)) {
      const resolved = posix.normalize(posix.join(posix.dirname(file), match[0]));
      if (resolved === '..' || resolved.startsWith('../')) found.push({ line: index + 1, text: match[0] });
    }
  });
  return found;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (UNTRACKED_DIRS.has(name)) return [];
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [relative(ROOT, path)];
  });
}

/** The files git tracks; outside a checkout (an unpacked archive), every file but build output. */
function repositoryFiles(): string[] {
  try {
    return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter(Boolean);
  } catch {
    return walk(ROOT);
  }
}

const isText = (bytes: Buffer): boolean => !bytes.subarray(0, 8000).includes(0);

describe('the repository stands alone', () => {
  it('no file refers to a path outside the repository', () => {
    const findings: string[] = [];
    for (const file of repositoryFiles()) {
      if (file === 'package-lock.json') continue; // npm's own paths, all inside node_modules
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(ROOT, file));
      } catch {
        continue; // deleted in the work tree, not yet in git
      }
      if (!isText(bytes)) continue;
      for (const { line, text } of outsideReferences(file, bytes.toString('utf8')))
        findings.push(`${file}:${line}: ${text}`);
    }
    expect(findings, 'copy the data into the repository, with its source and licence').toEqual([]);
  });

  // The cases build their paths from parts, so this file itself spells none of them.
  const up = (times: number): string => '../'.repeat(times);
  const scratch = `${up(1)}shared`;
  const machine = (...parts: string[]): string => `/${parts.join('/')}`;

  it.each([
    ['packages/a/src/x.ts', `new URL('${up(4)}shared/', import.meta.url)`, `${up(4)}shared/`],
    [
      'README.md',
      `[spec](${scratch}/spec/OBSERVABILITY_README.md)`,
      `${scratch}/spec/OBSERVABILITY_README.md`,
    ],
    [
      'docs/notes.md',
      `the manifest in ${machine('work', 'shared', 'reference')}`,
      machine('work', 'shared', 'reference'),
    ],
    [
      'scripts/x.mjs',
      `readFileSync('${machine('home', 'dev', 'project', 'data.json')}')`,
      machine('home', 'dev', 'project', 'data.json'),
    ],
  ])('finds the outside reference in %s', (file, text, expected) => {
    expect(outsideReferences(file, text).map((finding) => finding.text)).toEqual([expected]);
  });

  it.each([
    ['packages/a/src/x.ts', `new URL('${up(2)}reference/x.json', import.meta.url)`],
    ['docs/architecture.md', `[hub](${up(1)}packages/hub/README.md)`],
    [
      'packages/cli/src/engines.ts',
      "'/usr/lib/postgresql/15/bin/postgres', '/etc/redis', '/var/lib/x', '/tmp/x'",
    ],
    ['README.md', `https://example.com${machine('work', 'x')} and ./deploy/compose`],
  ])('leaves a path inside the repository or the system alone (%s)', (file, text) => {
    expect(outsideReferences(file, text)).toEqual([]);
  });
});

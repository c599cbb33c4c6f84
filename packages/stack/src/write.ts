/**
 * Writing a render to a directory: the only I/O in this package. A manifest of what was written
 * lets the next render remove files it no longer produces, and nothing else: files a user put
 * beside the render are left alone, and a non-empty directory that is not a render is refused.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { RenderedFile } from './render/elastic.js';

export const RENDER_MANIFEST = '.pyairtable-render.json';

export class RenderDirectoryError extends Error {
  override readonly name = 'RenderDirectoryError';
}

function previousFiles(directory: string): string[] | undefined {
  const manifest = join(directory, RENDER_MANIFEST);
  if (!existsSync(manifest)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { files?: unknown };
    return Array.isArray(parsed.files) ? parsed.files.filter((file) => typeof file === 'string') : [];
  } catch {
    throw new RenderDirectoryError(
      `${manifest} is not readable JSON; remove it (and the files of the earlier render) or choose another --out.`,
    );
  }
}

export interface WriteResult {
  readonly written: number;
  readonly removed: readonly string[];
}

export function writeRenderedFiles(directory: string, files: readonly RenderedFile[]): WriteResult {
  const previous = previousFiles(directory);
  if (previous === undefined && existsSync(directory) && readdirSync(directory).length > 0)
    throw new RenderDirectoryError(
      `${directory} is not empty and holds no earlier render (${RENDER_MANIFEST}); choose an empty or new directory.`,
    );
  for (const file of files) {
    const target = join(directory, file.path);
    if (relative(directory, target).startsWith('..'))
      throw new RenderDirectoryError(`refusing to write outside ${directory}: ${file.path}`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content);
    chmodSync(target, file.executable === true ? 0o755 : 0o644);
  }
  const current = new Set(files.map((file) => file.path));
  const removed = (previous ?? []).filter(
    (path) => !current.has(path) && !relative('.', path).startsWith('..'),
  );
  for (const path of removed) rmSync(join(directory, path), { force: true });
  writeFileSync(join(directory, RENDER_MANIFEST), `${JSON.stringify({ files: [...current] }, null, 2)}\n`);
  return { written: files.length, removed };
}

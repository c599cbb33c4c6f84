/**
 * Where the hub finds the built UI: `dist/app/` of this package, written by `build.mjs` (esbuild)
 * during `npm run build`. The browser code itself is in `app/`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const UI_DIR = fileURLToPath(new URL('../dist/app/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

export interface UiFile {
  readonly body: Buffer;
  readonly type: string;
  /** Content-hashed asset names never change content: cached for a year. */
  readonly immutable: boolean;
}

/** The built index page, or undefined when the UI was not built. */
export function uiIndex(dir: string = UI_DIR): UiFile | undefined {
  const path = join(dir, 'index.html');
  if (!existsSync(path)) return undefined;
  return { body: readFileSync(path), type: TYPES['.html'] ?? 'text/html', immutable: false };
}

/** A file under `assets/`, never outside the UI's directory. */
export function uiAsset(name: string, dir: string = UI_DIR): UiFile | undefined {
  const assets = join(dir, 'assets');
  const path = normalize(join(assets, name));
  if (!path.startsWith(assets + sep) || !existsSync(path)) return undefined;
  const type = TYPES[extname(path)];
  if (type === undefined) return undefined;
  return { body: readFileSync(path), type, immutable: true };
}

/**
 * The web UI on the query port: `/assets/*` (content-hashed, cached for a year) and the page
 * itself for every other path outside the APIs, so each view's URL can be opened directly. The
 * page and its assets are public; the APIs they call keep the hub's token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UiFile } from '@pyairtable/ui';
import { uiAsset, uiIndex } from '@pyairtable/ui';

const SECURITY_HEADERS = {
  // Scripts and styles only from the hub itself; uPlot and Preact set inline styles on elements.
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

function isUiPath(path: string): boolean {
  return !(path.startsWith('/api/') || path === '/api' || path === '/metrics');
}

function send(response: ServerResponse, head: boolean, file: UiFile): void {
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': file.type,
    'content-length': String(file.body.length),
    'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  response.end(head ? undefined : file.body);
}

/** Answers a request for the UI; false when the request is for an API. */
export function serveUi(request: IncomingMessage, response: ServerResponse, dir?: string): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  // Only plain absolute paths: anything else (`//x`, `*`) is the API's to refuse.
  if (!path.startsWith('/') || path.startsWith('//') || !isUiPath(path)) return false;
  const head = request.method === 'HEAD';
  if (path.startsWith('/assets/')) {
    const asset = uiAsset(decodeURIComponent(path.slice('/assets/'.length)), dir);
    if (asset === undefined) response.writeHead(404, { 'content-type': 'text/plain' }).end('no such asset\n');
    else send(response, head, asset);
    return true;
  }
  const page = uiIndex(dir);
  if (page === undefined)
    response
      .writeHead(503, { 'content-type': 'text/plain; charset=utf-8' })
      .end('The web UI is not built: run npm run build. The APIs are under /api/.\n');
  else send(response, head, page);
  return true;
}

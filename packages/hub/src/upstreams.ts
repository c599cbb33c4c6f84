/**
 * The UI's one origin: read-only requests to the Prometheus and Alertmanager the hub is told
 * about are passed through, so the browser talks to the hub alone, and the dashboards the hub is
 * given (obs up draws them at its profile's thresholds) are served as data. Only the listed
 * read paths pass; nothing is sent on but the path and query.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dashboard } from '@pyairtable/dashboards';
import { QueryError, RPC, errorBody, requestUrl, sendJson } from './query-params.js';

export interface Upstreams {
  /** Prometheus's base URL, such as obs up's on loopback. */
  readonly prometheus?: string;
  readonly alertmanager?: string;
}

/** What the UI shows beyond the hub's own data; set when the engines are up (`Hub.configureUi`). */
export interface UiConfig extends Upstreams {
  readonly dashboards?: readonly Dashboard[];
}

/** What the hub has let go of, so the UI can say older data is gone. */
export interface StoreStatus {
  readonly retentionDays: number;
  readonly maxStoreBytes: number;
  readonly spansEvicted: { readonly age: number; readonly size: number };
}

const READ_PATHS: Readonly<Record<keyof Upstreams, RegExp>> = {
  prometheus:
    /^\/api\/v1\/(query|query_range|series|labels|label\/[A-Za-z_][A-Za-z0-9_]*\/values|rules|alerts)$/,
  alertmanager: /^\/api\/v2\/(alerts|alerts\/groups|silences|status)$/,
};

const UPSTREAM_TIMEOUT_MS = 15_000;

const NOT_CONFIGURED: Readonly<Record<keyof Upstreams, string>> = {
  prometheus:
    'no Prometheus is configured for this hub: obs up starts one when the prometheus package is installed (sudo apt-get install prometheus), or start the hub with --prometheus-url',
  alertmanager:
    'no Alertmanager is configured for this hub: obs up starts one when prometheus-alertmanager is installed, or start the hub with --alertmanager-url',
};

/** Answers `/api/prometheus/...` and `/api/alertmanager/...`; false for any other path. */
export async function proxyUpstream(
  url: URL,
  upstreams: Upstreams,
  response: ServerResponse,
): Promise<boolean> {
  const match = /^\/api\/(prometheus|alertmanager)(\/.*)$/.exec(url.pathname);
  if (match === null) return false;
  const name = match[1] as keyof Upstreams;
  const path = match[2] ?? '';
  if (!READ_PATHS[name].test(path))
    throw new QueryError(`${path} is not one of the ${name} read paths the hub passes on`);
  const base = upstreams[name];
  if (base === undefined) {
    sendJson(response, 503, errorBody(503, RPC.unavailable, NOT_CONFIGURED[name]));
    return true;
  }
  try {
    const answer = await fetch(`${base}${path}${url.search}`, {
      signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
    });
    const body = Buffer.from(await answer.arrayBuffer());
    response.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? 'application/json',
    });
    response.end(body);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    sendJson(response, 502, errorBody(502, RPC.unavailable, `${name} at ${base} did not answer: ${reason}`));
  }
  return true;
}

/** The dashboards as the UI draws them; none until the hub is given them. */
export function sendDashboards(response: ServerResponse, config: UiConfig): void {
  sendJson(response, 200, {
    dashboards: config.dashboards ?? [],
    prometheus: config.prometheus !== undefined,
    alertmanager: config.alertmanager !== undefined,
  });
}

/** `/api/dashboards` and the pass-through paths; false for every other request. */
export async function handleUiApi(
  request: IncomingMessage,
  response: ServerResponse,
  config: UiConfig,
  status: () => Promise<StoreStatus>,
): Promise<boolean> {
  if (request.method !== 'GET') return false;
  const url = requestUrl(request);
  try {
    if (url.pathname === '/api/dashboards') {
      sendDashboards(response, config);
      return true;
    }
    if (url.pathname === '/api/store-status') {
      sendJson(response, 200, await status());
      return true;
    }
    return await proxyUpstream(url, config, response);
  } catch (error) {
    if (!(error instanceof QueryError)) throw error;
    sendJson(response, 400, errorBody(400, RPC.invalidArgument, error.message));
    return true;
  }
}

/**
 * The few Elasticsearch requests obs sends (erase, cost) over fetch: credentials from the
 * environment only, and errors that say which request, what Elasticsearch answered and what to
 * do. The requests' shapes are typed by the callers with Elastic's own client types.
 */

/** A request as it goes over the wire: method, path with its query string, JSON body. */
export interface WireRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  /** None for a GET. */
  readonly body?: object;
}

/** What to do when a write meets a read-only (warm-phase) index. */
export const READ_ONLY_HINT =
  'An index in its warm phase is read-only: lift its write block (PUT <index>/_settings {"index.blocks.write": false}), run the command again, then set it back.';

/** Elasticsearch answered with an error: which request, what it said, how to go on. */
export class ElasticsearchError extends Error {
  override readonly name = 'ElasticsearchError';
  constructor(
    message: string,
    /** Elasticsearch's error type (`timeout_exception`), when it answered with one. */
    readonly errorType?: string,
    /** The HTTP status it answered with; undefined when the request was not answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

function errorTypeOf(text: string): string | undefined {
  try {
    const type = (JSON.parse(text) as { error?: { type?: unknown } }).error?.type;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}

export interface ElasticsearchTarget {
  readonly url: string;
  /** The Authorization header, from the environment (never from the command line). */
  readonly authorization: string | undefined;
  readonly fetch?: typeof fetch;
}

/** The Authorization header from ELASTICSEARCH_API_KEY, or ELASTICSEARCH_USERNAME and _PASSWORD. */
export function elasticAuthorization(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const apiKey = env['ELASTICSEARCH_API_KEY'];
  if (apiKey !== undefined && apiKey !== '') return `ApiKey ${apiKey}`;
  const username = env['ELASTICSEARCH_USERNAME'];
  const password = env['ELASTICSEARCH_PASSWORD'];
  if (username !== undefined && username !== '' && password !== undefined)
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  return undefined;
}

/** Sends one request; `allowedTo` names what the user must be allowed to do, for the 401 hint. */
export async function sendToElasticsearch(
  target: ElasticsearchTarget,
  allowedTo: string,
  request: WireRequest,
): Promise<Record<string, unknown>> {
  const url = `${target.url.replace(/\/+$/, '')}${request.path}`;
  let response: Response;
  try {
    response = await (target.fetch ?? fetch)(url, {
      method: request.method,
      headers: {
        'content-type': 'application/json',
        ...(target.authorization === undefined ? {} : { authorization: target.authorization }),
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (error) {
    throw new ElasticsearchError(
      `${request.method} ${url} could not be sent: ${(error as Error).message}. Is Elasticsearch at ${target.url}? (Its CA: NODE_EXTRA_CA_CERTS=<ca.crt>)`,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    const hint =
      response.status === 401
        ? ` Set ELASTICSEARCH_API_KEY, or ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD, for a user allowed to ${allowedTo}.`
        : text.includes('cluster_block_exception')
          ? ` ${READ_ONLY_HINT}`
          : '';
    throw new ElasticsearchError(
      `${request.method} ${request.path} answered ${String(response.status)}: ${text.slice(0, 500)}.${hint}`,
      errorTypeOf(text),
      response.status,
    );
  }
  return JSON.parse(text) as Record<string, unknown>;
}

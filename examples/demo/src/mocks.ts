/**
 * The platform's outside world: the Airtable REST API and an OpenAI-compatible model provider,
 * as plain node:http servers. They are deliberately not instrumented (in production these are
 * someone else's systems); what the demo observes of them is what its own services see.
 * Answers are generated deterministically from the request, after a small random delay.
 */
import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeServer, jitter, listen, pathOf, readJsonBody, sendJson } from './http.js';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

export interface MockServer {
  readonly url: string;
  /** The last requests received, newest last (at most {@link RECORDED_REQUESTS}); for tests and debugging. */
  readonly requests: readonly RecordedRequest[];
  close(): Promise<void>;
}

export const RECORDED_REQUESTS = 100;

export interface MockOptions {
  /** Default: the table's port; 0 picks a free one. */
  readonly port: number;
  readonly host: string;
}

/** FNV-1a: a stable small hash, so the same base and table always give the same records. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** An Airtable-shaped id: a three-letter prefix and 14 letters or digits. */
function airtableId(prefix: string, seed: string): string {
  let state = hash(seed);
  let id = prefix;
  for (let index = 0; index < 14; index++) {
    state = Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) >>> 0;
    id += ID_ALPHABET[state % ID_ALPHABET.length] ?? 'A';
  }
  return id;
}

const STATUSES = ['Todo', 'In progress', 'Blocked', 'Done'] as const;
const MAX_PAGE_SIZE = 100;

function generateRecords(baseId: string, table: string, count: number): unknown[] {
  return Array.from({ length: count }, (_unused, index) => {
    const seed = hash(`${baseId}/${table}/${index}`);
    return {
      id: airtableId('rec', `${baseId}/${table}/${index}`),
      createdTime: new Date(Date.UTC(2025, 0, 1) + (seed % 31_536_000) * 1000).toISOString(),
      fields: {
        Name: `${table} ${index + 1}`,
        Status: STATUSES[seed % STATUSES.length],
        Amount: (seed % 100_000) / 100,
      },
    };
  });
}

function recordingServer(handler: (request: IncomingMessage) => Promise<[number, unknown]>): {
  server: Server;
  requests: RecordedRequest[];
} {
  const requests: RecordedRequest[] = [];
  const server = createServer((request, response) => {
    requests.push({ method: request.method ?? 'GET', path: pathOf(request), headers: request.headers });
    if (requests.length > RECORDED_REQUESTS) requests.shift();
    handler(request).then(
      ([status, body]) => {
        sendJson(response, status, body);
      },
      (error: unknown) => {
        sendJson(response, 500, { error: { type: 'SERVER_ERROR', message: String(error) } });
      },
    );
  });
  return { server, requests };
}

async function start(server: Server, requests: RecordedRequest[], options: MockOptions): Promise<MockServer> {
  const port = await listen(server, options.port, options.host);
  return {
    url: `http://${options.host}:${port}`,
    requests,
    close: () => closeServer(server),
  };
}

const AIRTABLE_PATH = /^\/v0\/([^/]+)\/([^/]+)$/;

/**
 * `GET /v0/{baseId}/{table}?maxRecords=N` answers `{ records: [{ id, createdTime, fields }] }`
 * like Airtable's list-records call; a missing bearer token is 401, anything else 404, both in
 * Airtable's error shape.
 */
export function startMockAirtable(options: MockOptions): Promise<MockServer> {
  const { server, requests } = recordingServer(async (request) => {
    await sleep(jitter(5, 25));
    const url = new URL(request.url ?? '/', 'http://mock');
    const match = AIRTABLE_PATH.exec(url.pathname);
    if (request.method === 'GET' && url.pathname === '/health') return [200, { status: 'healthy' }];
    if (request.method !== 'GET' || match === null)
      return [404, { error: { type: 'NOT_FOUND', message: 'Could not find what you are looking for' } }];
    if (!/^Bearer \S+$/.test(request.headers.authorization ?? ''))
      return [401, { error: { type: 'AUTHENTICATION_REQUIRED', message: 'Authentication required' } }];
    const requested = Number(url.searchParams.get('maxRecords') ?? MAX_PAGE_SIZE);
    const count = Number.isInteger(requested) ? Math.min(Math.max(requested, 0), MAX_PAGE_SIZE) : 0;
    const baseId = decodeURIComponent(match[1] ?? '');
    const table = decodeURIComponent(match[2] ?? '');
    return [200, { records: generateRecords(baseId, table, count) }];
  });
  return start(server, requests, options);
}

interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

function isChatRequest(
  body: unknown,
): body is { model: string; messages: ChatMessage[]; max_tokens?: number } {
  if (typeof body !== 'object' || body === null) return false;
  const { model, messages } = body as { model?: unknown; messages?: unknown };
  return (
    typeof model === 'string' &&
    Array.isArray(messages) &&
    messages.every(
      (message: unknown) =>
        typeof message === 'object' &&
        message !== null &&
        typeof (message as { content?: unknown }).content === 'string',
    )
  );
}

/** Roughly four characters a token, as OpenAI's own rule of thumb has it. */
function countTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

const REPLIES = [
  'The base has 3 overdue records; the oldest is from last week.',
  'Sales in the Orders table grew 12% compared to the previous month.',
  'I grouped the Projects table by status: most records are in progress.',
] as const;

/**
 * `POST /v1/chat/completions`, OpenAI-shaped. Usage is counted from what was sent: prompt tokens
 * from the messages' text, completion tokens in proportion to the prompt (an answer summarising
 * the context it was given) up to `max_tokens`, so a caller that stuffs its prompt pays for it
 * in both, as with a real provider.
 */
export function startMockLlm(options: MockOptions): Promise<MockServer> {
  const { server, requests } = recordingServer(async (request) => {
    if (request.method === 'GET' && pathOf(request) === '/health') return [200, { status: 'healthy' }];
    if (request.method !== 'POST' || pathOf(request) !== '/v1/chat/completions')
      return [404, { error: { message: 'Unknown endpoint', type: 'invalid_request_error' } }];
    let body: unknown;
    try {
      body = await readJsonBody(request, 16 * 1024 * 1024);
    } catch {
      return [400, { error: { message: 'We could not parse the JSON body', type: 'invalid_request_error' } }];
    }
    if (!isChatRequest(body))
      return [400, { error: { message: 'model and messages are required', type: 'invalid_request_error' } }];
    const promptTokens = body.messages.reduce((sum, message) => sum + 4 + countTokens(message.content), 3);
    const maxTokens = typeof body.max_tokens === 'number' && body.max_tokens > 0 ? body.max_tokens : 4096;
    const completionTokens = Math.min(maxTokens, 16 + Math.floor(promptTokens / 2));
    // Time to first token and generation both grow with the work, like the real thing.
    await sleep(jitter(20, 60) + Math.min(completionTokens / 50, 400));
    const reply = REPLIES[hash(JSON.stringify(body.messages)) % REPLIES.length] ?? REPLIES[0];
    return [
      200,
      {
        id: `chatcmpl-${airtableId('', String(Date.now() + Math.random()))}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
        },
      },
    ];
  });
  return start(server, requests, options);
}

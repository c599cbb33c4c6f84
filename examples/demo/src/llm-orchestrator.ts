/**
 * llm-orchestrator (Hono on @hono/node-server, which serves over node:http): answers chat messages about the user's bases by
 * calling the model provider (the mock, OpenAI-shaped) with a system prompt, retrieved context
 * and the message, and records every call's tokens and cost with the SDK's AI usage helper.
 *
 * The `aiTokensMultiplier` fault reproduces a classic cost incident: retrieval returning the same
 * context many times over. The provider then counts (and bills) the bloated prompt, so the spike
 * shows up in the usage the provider reports, not in numbers the service invents.
 */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { honoTelemetry } from '@pyairtable/telemetry/hono';
import type { DemoEnv } from './config.js';
import { readBaseUrl, readString } from './config.js';
import { FAULTS_PATH, InjectedFault } from './faults.js';
import { closeServer, IGNORED_PATHS } from './http.js';
import type { PreparedService } from './service-context.js';
import { DEMO_HOST, demoService } from './services.js';
import { UPSTREAM_TIMEOUT_MS } from './upstream.js';

/** The provider as the contract names it (`gen_ai.provider.name`). */
const PROVIDER = 'openai';
const MAX_MESSAGE_LENGTH = 4_000;
const MODEL_NAME = /^[a-z0-9][a-z0-9._:-]{0,63}$/;
/** Completion budget of one answer; the fault multiplies it along with the context. */
const MAX_COMPLETION_TOKENS = 512;

const SYSTEM_PROMPT =
  'You are the PyAirtable assistant. Answer questions about the user\u2019s Airtable bases briefly, ' +
  'using only the context provided. If the context does not contain the answer, say so.';

/** What retrieval finds for every question in the demo: a schema summary of the user's bases. */
const RETRIEVED_CONTEXT =
  'Base "Sales" (appDemoSales00001): tables Customers (Name, Email, Segment), Orders (Customer, ' +
  'Amount, Status, Created) and Products (Name, Price, Stock). Base "Operations" ' +
  '(appDemoOps0000001): tables Projects (Name, Owner, Status, Due) and Tasks (Project, Title, ' +
  'Assignee, Done). Orders with Status "Open" older than 14 days are overdue.';

interface ChatRequest {
  readonly message: string;
  readonly model: string | undefined;
}

type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

function parseChatRequest(body: unknown): Parsed<ChatRequest> {
  if (typeof body !== 'object' || body === null)
    return { ok: false, error: 'the body must be a JSON object with a "message"' };
  const { message, model } = body as { message?: unknown; model?: unknown };
  if (typeof message !== 'string' || message.trim() === '' || message.length > MAX_MESSAGE_LENGTH)
    return {
      ok: false,
      error: `message must be a non-empty string of at most ${MAX_MESSAGE_LENGTH} characters`,
    };
  if (model !== undefined && (typeof model !== 'string' || !MODEL_NAME.test(model)))
    return { ok: false, error: 'model must be a lower-case model id like "gpt-4o-mini"' };
  return { ok: true, value: { message, model } };
}

interface Completion {
  readonly reply: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function parseCompletion(body: unknown): Completion | undefined {
  const { choices, usage } = (body ?? {}) as {
    choices?: { message?: { content?: unknown } }[];
    usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
  };
  const reply = Array.isArray(choices) ? choices[0]?.message?.content : undefined;
  if (typeof reply !== 'string' || !isCount(usage?.prompt_tokens) || !isCount(usage.completion_tokens))
    return undefined;
  return { reply, promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens };
}

export function prepareLlmOrchestrator(env: DemoEnv): PreparedService {
  const llmUrl = readBaseUrl(env, 'DEMO_LLM_URL', `http://${DEMO_HOST}:${demoService('mock-llm').port}`);
  const llmApiKey = readString(env, 'DEMO_LLM_API_KEY', 'demo-llm-key');
  const defaultModel = readString(env, 'DEMO_LLM_MODEL', 'gpt-4o-mini');

  return ({ telemetry, faults, host, port }) => {
    const app = new Hono();
    app.use(honoTelemetry(telemetry, { ignorePaths: IGNORED_PATHS }));

    app.get('/health', (c) => c.json({ status: 'healthy', service: 'llm-orchestrator' }));
    const faultsRoute = async (c: Context): Promise<Response> => {
      const body: unknown = c.req.method === 'POST' ? await c.req.json().catch(() => undefined) : undefined;
      const answer = faults.handle(c.req.method, body);
      return c.json(answer.body, answer.status);
    };
    app.on(['GET', 'POST', 'DELETE'], FAULTS_PATH, faultsRoute);

    app.use('/chat', async (_c, next) => {
      await faults.beforeRequest();
      await next();
    });
    app.post('/chat', async (c) => {
      const parsed = parseChatRequest(await c.req.json().catch(() => undefined));
      if (!parsed.ok) return c.json({ error: parsed.error }, 400);
      const model = parsed.value.model ?? defaultModel;
      const copies = Math.max(1, Math.round(faults.current.aiTokensMultiplier));
      const messages = [
        { role: 'system', content: SYSTEM_PROMPT },
        ...Array.from({ length: copies }, () => ({
          role: 'system',
          content: `Context: ${RETRIEVED_CONTEXT}`,
        })),
        { role: 'user', content: parsed.value.message },
      ];
      const started = performance.now();
      let response: globalThis.Response;
      try {
        response = await fetch(`${llmUrl}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${llmApiKey}` },
          body: JSON.stringify({ model, messages, max_tokens: MAX_COMPLETION_TOKENS * copies }),
          signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
        });
      } catch (error) {
        telemetry.recordException(error);
        return c.json({ error: 'the model provider is unreachable' }, 502);
      }
      if (!response.ok) return c.json({ error: `the model provider answered ${response.status}` }, 502);
      const completion = parseCompletion(await response.json().catch(() => undefined));
      if (completion === undefined)
        return c.json({ error: 'the model provider answered without usage' }, 502);
      const costUsd = telemetry.recordAiUsage({
        provider: PROVIDER,
        model,
        operation: 'chat',
        inputTokens: completion.promptTokens,
        outputTokens: completion.completionTokens,
        durationSeconds: (performance.now() - started) / 1000,
      });
      return c.json({
        reply: completion.reply,
        model,
        usage: { inputTokens: completion.promptTokens, outputTokens: completion.completionTokens },
        costUsd: costUsd ?? null,
      });
    });

    app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));
    app.onError((error, c) =>
      c.json({ error: error instanceof InjectedFault ? error.message : 'internal error' }, 500),
    );

    return new Promise((resolve, reject) => {
      const server = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
        server.off('error', reject);
        resolve({ port: info.port, close: () => closeServer(server as Server) });
      });
      server.once('error', reject);
    });
  };
}

/**
 * Trace propagation as the contract has it: a `traceparent` continues the caller's trace; with
 * none, an `x-trace-id` becomes the trace id; with neither, a new trace starts; every response
 * carries `x-trace-id`; and the server span reaches the hub named by its route template.
 */
import { randomBytes } from 'node:crypto';
import { PROPAGATION_HEADERS, SPAN_ATTRIBUTES } from '@pyairtable/conventions';
import { looksLikeRawPath } from './metrics.js';
import type { Check } from './report.js';

const TRACE_ID = /^[0-9a-f]{32}$/;
const newTraceId = (): string => randomBytes(16).toString('hex');

/** The response's `x-trace-id`, or why there is none. */
async function tracedRequest(url: string, headers: Record<string, string>): Promise<string | Error> {
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
    await response.body?.cancel();
    return (
      response.headers.get(PROPAGATION_HEADERS.traceId) ??
      new Error(`answered ${String(response.status)} without ${PROPAGATION_HEADERS.traceId}`)
    );
  } catch (error) {
    return new Error(`could not be requested: ${(error as Error).message}`);
  }
}

const HEADER_FIX = `answer every request with ${PROPAGATION_HEADERS.traceId}: <the server span's trace id> (the SDK does; elsewhere a middleware reading the active span)`;

/** The three ways a request arrives, each with the trace id its response must carry. */
export async function propagationChecks(
  url: string,
): Promise<{ checks: Check[]; tracedId: string | undefined }> {
  const continued = newTraceId();
  const adopted = newTraceId();
  const cases = [
    {
      check: `${PROPAGATION_HEADERS.traceparent} continues the caller’s trace`,
      headers: { [PROPAGATION_HEADERS.traceparent]: `00-${continued}-${randomBytes(8).toString('hex')}-01` },
      expect: (id: string) => id === continued,
      fix: 'extract W3C trace context from incoming requests (OpenTelemetry’s W3C propagator)',
    },
    {
      check: `${PROPAGATION_HEADERS.traceId} alone becomes the trace id`,
      headers: { [PROPAGATION_HEADERS.traceId]: adopted },
      expect: (id: string) => id === adopted,
      fix: `with no traceparent, start the server span in the trace named by a valid ${PROPAGATION_HEADERS.traceId}`,
    },
    {
      check: 'a request with neither starts a new trace',
      headers: {},
      expect: (id: string) => TRACE_ID.test(id) && id !== continued && id !== adopted,
      fix: HEADER_FIX,
    },
  ];
  const checks: Check[] = [];
  // The trace the first request's span is in, by the service's own answer: looked for in the hub.
  let tracedId: string | undefined;
  for (const entry of cases) {
    const answer = await tracedRequest(url, entry.headers);
    if (tracedId === undefined && typeof answer === 'string' && TRACE_ID.test(answer)) tracedId = answer;
    const ok = typeof answer === 'string' && entry.expect(answer);
    checks.push({
      check: entry.check,
      ok,
      detail: typeof answer === 'string' ? `${PROPAGATION_HEADERS.traceId}: ${answer}` : answer.message,
      ...(ok ? {} : { fix: typeof answer === 'string' ? entry.fix : HEADER_FIX }),
    });
  }
  return { checks, tracedId };
}

interface OtlpSpan {
  kind?: number | string;
  name?: string;
  attributes?: { key: string; value: { stringValue?: string } }[];
}

/** The trace's spans from the hub's api_v3, or undefined while it has none. */
async function hubSpans(hubQueryUrl: string, traceId: string): Promise<OtlpSpan[] | undefined> {
  const response = await fetch(`${hubQueryUrl}/api/v3/traces/${traceId}`, {
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) return undefined;
  const body = (await response.json()) as {
    result?: { resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[] };
  };
  return body.result?.resourceSpans?.flatMap(
    (resource) => resource.scopeSpans?.flatMap((scope) => scope.spans ?? []) ?? [],
  );
}

const isServer = (span: OtlpSpan): boolean => span.kind === 2 || span.kind === 'SPAN_KIND_SERVER';

/** The server span of `traceId` in the hub, named by the route template rather than `path`. */
export async function serverSpanCheck(
  hubQueryUrl: string,
  traceId: string,
  path: string,
  timeoutMs: number,
): Promise<Check> {
  const check = 'the server span reaches the hub';
  const deadline = Date.now() + timeoutMs;
  let spans: OtlpSpan[] | undefined;
  while (Date.now() < deadline) {
    spans = await hubSpans(hubQueryUrl, traceId).catch(() => undefined);
    if (spans?.some(isServer) === true) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const server = spans?.find(isServer);
  if (server === undefined)
    return {
      check,
      ok: false,
      detail: `no server span of trace ${traceId} in the hub within ${String(timeoutMs / 1000)} s`,
      fix: 'export spans over OTLP to the hub (OTEL_EXPORTER_OTLP_ENDPOINT) and create a SERVER span per request',
    };
  const route = server.attributes?.find((entry) => entry.key === SPAN_ATTRIBUTES.httpRoute)?.value
    .stringValue;
  const rawPath = path.split('?')[0] ?? path;
  const raw = looksLikeRawPath(rawPath);
  const fix = `set ${SPAN_ATTRIBUTES.httpRoute} to the route template (/records/:id) and name the span "METHOD template"`;
  if (route === undefined || (raw && route === rawPath))
    return {
      check,
      ok: false,
      detail:
        route === undefined
          ? `span "${server.name ?? ''}" has no ${SPAN_ATTRIBUTES.httpRoute}`
          : `${SPAN_ATTRIBUTES.httpRoute} is the raw path ${rawPath}`,
      fix,
    };
  if (raw && (server.name ?? '').includes(rawPath))
    return { check, ok: false, detail: `the span is named by the raw path: "${server.name ?? ''}"`, fix };
  return { check, ok: true, detail: `"${server.name ?? ''}", ${SPAN_ATTRIBUTES.httpRoute}=${route}` };
}

/**
 * `fetch` from the test itself, outside tracing: the SDK under test instruments the process's
 * own outgoing requests, and a test's client calls must not start traces of their own.
 */
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

export const plainFetch = (url: string, init?: RequestInit): Promise<Response> =>
  context.with(suppressTracing(context.active()), () => fetch(url, init));

/**
 * The SDK never throws into, blocks or crashes its host: with the collector down memory stays
 * bounded (a bounded queue, drops counted), nothing rejects unhandled, and shutdown keeps its
 * deadline. And when the collector is up, shutdown delivers the last spans.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { METRICS, METRIC_LABELS, PII_MASK, SPAN_ATTRIBUTES as A } from '@pyairtable/conventions';
import type { OtlpReceiver } from '@pyairtable/test-support';
import { captureLines, startOtlpGrpcReceiver, startOtlpReceiver } from '@pyairtable/test-support';
import type { Telemetry } from '@pyairtable/telemetry';
import { initTelemetry, setWarningSink } from '@pyairtable/telemetry';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
let restoreWarnings: () => void;
const warnings: string[] = [];

beforeEach(() => {
  unhandled.length = 0;
  warnings.length = 0;
  process.on('unhandledRejection', onUnhandled);
  restoreWarnings = setWarningSink((message) => warnings.push(message));
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  restoreWarnings();
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function spanCounts(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const sample = new RegExp(
    `^${METRICS.telemetrySpans.name}\\{[^}]*${METRIC_LABELS.spanOutcome.name}="(\\w+)"[^}]*\\} (\\S+)$`,
    'gm',
  );
  for (const match of text.matchAll(sample)) counts[match[1]!] = Number(match[2]);
  return counts;
}

describe('with the collector down', () => {
  let telemetry: Telemetry;
  afterEach(async () => {
    await telemetry.shutdown();
  });

  it('drops beyond a bounded queue, counts the drops, warns once and never rejects', async () => {
    telemetry = initTelemetry({
      serviceName: 'api-gateway',
      otlpEndpoint: `http://127.0.0.1:${await closedPort()}`,
      maxQueueSize: 100,
      shutdownTimeoutMs: 1000,
      logDestination: captureLines().stream,
      runtimeMetrics: false,
    });
    const total = 5000;
    for (let index = 0; index < total; index++) telemetry.tracer.startSpan(`work ${index % 10}`).end();
    await telemetry.forceFlush();
    const counts = spanCounts((await telemetry.metrics.render()).body);
    // At most one full queue plus the one batch in flight (2 x 100) is held; the rest was dropped.
    expect(counts['dropped']).toBeGreaterThanOrEqual(total - 200);
    expect(counts['exported'] ?? 0).toBe(0);
    expect((counts['dropped'] ?? 0) + (counts['export_failed'] ?? 0)).toBeLessThanOrEqual(total);
    expect(warnings.filter((warning) => warning.includes('queue full'))).toHaveLength(1);

    const started = performance.now();
    await telemetry.shutdown();
    expect(performance.now() - started).toBeLessThan(3000);
    expect(unhandled).toEqual([]);
  });

  it('counts spans the receiver refuses', async () => {
    const receiver = await startOtlpReceiver();
    receiver.failWith = 400;
    try {
      telemetry = initTelemetry({
        serviceName: 'api-gateway',
        otlpEndpoint: receiver.url,
        otlpProtocol: 'http/json',
        logDestination: captureLines().stream,
        runtimeMetrics: false,
      });
      for (let index = 0; index < 10; index++) telemetry.tracer.startSpan('refused').end();
      await telemetry.forceFlush();
      expect(spanCounts((await telemetry.metrics.render()).body)['export_failed']).toBe(10);
      expect(warnings.some((warning) => warning.includes('span export failed'))).toBe(true);
      expect(unhandled).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it('keeps a helper misuse from reaching the host', () => {
    telemetry = initTelemetry({
      serviceName: 'api-gateway',
      exportTraces: false,
      logDestination: captureLines().stream,
      runtimeMetrics: false,
    });
    expect(() => {
      telemetry.recordAiUsage({
        provider: 'openai',
        model: 'gpt-4o',
        inputTokens: Number.NaN,
        outputTokens: 1,
      });
      telemetry.addBusinessAttributes(undefined, { userId: 'x' });
      telemetry.metrics.inc('authEvents', { nonsense_label: 'x' } as never, 1);
    }).not.toThrow();
    expect(warnings.some((warning) => warning.includes(`${METRICS.authEvents.name} not recorded`))).toBe(
      true,
    );
  });

  it('refuses a second concurrent initTelemetry with a clear error', () => {
    telemetry = initTelemetry({
      serviceName: 'api-gateway',
      exportTraces: false,
      logDestination: captureLines().stream,
      runtimeMetrics: false,
    });
    expect(() => initTelemetry({ serviceName: 'other' })).toThrow(/one running telemetry per process/);
  });
});

describe('with the collector up', () => {
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  it('delivers the last spans on shutdown', async () => {
    const telemetry = initTelemetry({
      serviceName: 'api-gateway',
      otlpEndpoint: receiver.url,
      otlpProtocol: 'http/json',
      logDestination: captureLines().stream,
      runtimeMetrics: false,
    });
    for (let index = 0; index < 25; index++) telemetry.tracer.startSpan(`last ${index}`).end();
    await telemetry.shutdown();
    expect(receiver.spans.map((span) => span.name).sort()).toEqual(
      Array.from({ length: 25 }, (_, index) => `last ${index}`).sort(),
    );
  });

  it('exports over OTLP/protobuf by default', async () => {
    const telemetry = initTelemetry({
      serviceName: 'api-gateway',
      otlpEndpoint: receiver.url,
      logDestination: captureLines().stream,
      runtimeMetrics: false,
    });
    telemetry.tracer.startSpan('proto').end();
    await telemetry.shutdown();
    expect(receiver.protobufBodies.map((body) => body.path)).toEqual(['/v1/traces']);
    expect(receiver.protobufBodies[0]?.body.includes(Buffer.from('proto'))).toBe(true);
  });

  it('exports over OTLP/gRPC when asked', async () => {
    const grpc = await startOtlpGrpcReceiver();
    try {
      const telemetry = initTelemetry({
        serviceName: 'api-gateway',
        otlpEndpoint: grpc.url,
        otlpProtocol: 'grpc',
        logDestination: captureLines().stream,
        runtimeMetrics: false,
      });
      telemetry.tracer.startSpan('over-grpc').end();
      await telemetry.shutdown();
      const [request] = await grpc.waitForRequests(1);
      expect(request?.includes(Buffer.from('over-grpc'))).toBe(true);
      expect(request?.includes(Buffer.from('api-gateway'))).toBe(true);
    } finally {
      await grpc.close();
    }
  });

  it('masks PII in span attributes, events and status before export', async () => {
    const telemetry = initTelemetry({
      serviceName: 'api-gateway',
      otlpEndpoint: receiver.url,
      otlpProtocol: 'http/json',
      logDestination: captureLines().stream,
      runtimeMetrics: false,
    });
    await telemetry
      .traceAsync('signup', (span) => {
        span.setAttribute('customer.email', 'jane@example.com');
        span.setAttribute('http.request.header.authorization', 'Basic dXNlcjpwYXNz');
        span.setAttribute(A.genAiUsageInputTokens, 1234);
        span.addEvent('note', { text: 'card 4111 1111 1111 1111' });
        throw new Error('failed for jane@example.com');
      })
      .catch(() => undefined);
    await telemetry.shutdown();
    const span = receiver.spans.find((candidate) => candidate.name === 'signup');
    expect(span?.attributes).toMatchObject({
      'customer.email': PII_MASK,
      'http.request.header.authorization': PII_MASK,
      [A.genAiUsageInputTokens]: 1234,
    });
    expect(span?.events.find((event) => event.name === 'note')?.attributes['text']).toBe(`card ${PII_MASK}`);
    expect(span?.status.message).toBe(`failed for ${PII_MASK}`);
    expect(JSON.stringify(receiver.spans)).not.toContain('jane@example.com');
  });
});

describe('the opt-in SIGTERM hook', () => {
  it('flushes the last spans and exits 0 (built package, real process)', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const script = `
        import { initTelemetry } from '@pyairtable/telemetry';
        const telemetry = initTelemetry({
          serviceName: 'api-gateway', otlpEndpoint: ${JSON.stringify(receiver.url)}, otlpProtocol: 'http/json',
          handleSigterm: true, runtimeMetrics: false,
        });
        for (let index = 0; index < 3; index++) telemetry.tracer.startSpan('before-sigterm').end();
        setInterval(() => {}, 1000);
        process.stdout.write('ready\\n');
      `;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        cwd: new URL('../../..', import.meta.url).pathname,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('ready')) resolve();
        });
        child.once('exit', (code) => {
          reject(new Error(`child exited early (${String(code)}): ${stderr}`));
        });
      });
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code, stderr).toBe(0);
      expect(receiver.spans.filter((span) => span.name === 'before-sigterm')).toHaveLength(3);
    } finally {
      await receiver.close();
    }
  });
});

/**
 * The setup most SDK tests share: a loopback OTLP receiver, captured log lines, and a running
 * telemetry exporting to the one and writing to the other; stopped after each test.
 */
import { afterEach, beforeEach } from 'vitest';
import type { LineCapture, OtlpReceiver } from '@pyairtable/test-support';
import { captureLines, startOtlpReceiver } from '@pyairtable/test-support';
import type { InitOptions, Telemetry } from '@pyairtable/telemetry';
import { initTelemetry } from '@pyairtable/telemetry';

export interface TelemetryHarness {
  /** The running telemetry; a test may replace it (the harness shuts down whichever is current). */
  telemetry: Telemetry;
  receiver: OtlpReceiver;
  logs: LineCapture;
}

/** Registers the per-test setup and teardown; the returned object is filled before each test. */
export function useTelemetry(options: InitOptions = {}): TelemetryHarness {
  const harness = {} as TelemetryHarness;
  beforeEach(async () => {
    harness.receiver = await startOtlpReceiver();
    harness.logs = captureLines();
    harness.telemetry = initTelemetry({
      serviceName: 'api-gateway',
      otlpEndpoint: harness.receiver.url,
      otlpProtocol: 'http/json',
      logDestination: harness.logs.stream,
      runtimeMetrics: false,
      ...options,
    });
  });
  afterEach(async () => {
    await harness.telemetry.shutdown();
    await harness.receiver.close();
  });
  return harness;
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TELEMETRY_ERROR_CODES, TelemetryConfigError, resolveConfig } from '@pyairtable/telemetry';
import { captureWarnings } from './warning-capture.js';

const warnings = captureWarnings();

describe('resolveConfig', () => {
  it('has defaults that send everything to the local hub', () => {
    const config = resolveConfig({ serviceName: 'api-gateway' }, {});
    expect(config).toMatchObject({
      serviceName: 'api-gateway',
      serviceTier: 'application',
      costCenter: 'application',
      environment: 'development',
      otlpEndpoint: 'http://127.0.0.1:4318',
      otlpProtocol: 'http/protobuf',
      samplingRatio: 1,
      exportTraces: true,
      exportLogs: false,
      logLevel: 'INFO',
      maskLogs: true,
      handleSigterm: false,
    });
    expect(warnings).toEqual([]);
  });

  it("reads the spec's variables and the standard OTEL_ ones", () => {
    const config = resolveConfig(
      {},
      {
        SERVICE_NAME: 'llm-orchestrator',
        SERVICE_VERSION: '2.0.1',
        SERVICE_TIER: 'ai-ml',
        ENVIRONMENT: 'production',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318/',
        OTEL_SAMPLING_RATIO: '0.25',
        OTEL_DEBUG: 'true',
        OTEL_LOGS_EXPORTER: 'otlp',
        LOG_LEVEL: 'debug',
      },
    );
    expect(config).toMatchObject({
      serviceName: 'llm-orchestrator',
      serviceVersion: '2.0.1',
      serviceTier: 'ai-ml',
      costCenter: 'ai-ml',
      environment: 'production',
      otlpEndpoint: 'http://otel-collector:4318',
      samplingRatio: 0.25,
      debug: true,
      exportLogs: true,
      logLevel: 'DEBUG',
    });
  });

  it('lets code win over the environment', () => {
    const config = resolveConfig(
      { serviceName: 'from-code', environment: 'staging', samplingRatio: 0.5 },
      { SERVICE_NAME: 'from-env', ENVIRONMENT: 'production', OTEL_SAMPLING_RATIO: '0.1' },
    );
    expect(config).toMatchObject({ serviceName: 'from-code', environment: 'staging', samplingRatio: 0.5 });
  });

  it('warns once about a bad environment value and falls back', () => {
    const env = {
      SERVICE_NAME: 'svc',
      OTEL_SAMPLING_RATIO: '1.5',
      SERVICE_TIER: 'backend',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'udp',
    };
    const first = resolveConfig({}, env);
    resolveConfig({}, env);
    expect(first).toMatchObject({
      samplingRatio: 1,
      serviceTier: 'application',
      otlpProtocol: 'http/protobuf',
    });
    expect(warnings).toHaveLength(3);
    expect(warnings.join('\n')).toContain(
      'OTEL_SAMPLING_RATIO="1.5" is not valid (allowed: a number from 0 to 1); using 1',
    );
    expect(warnings.join('\n')).toContain('SERVICE_TIER="backend"');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['serviceTier', { serviceTier: 'backend' }, 'one of gateway, platform'],
    ['samplingRatio', { samplingRatio: 2 }, 'a number from 0 to 1'],
    ['otlpEndpoint', { otlpEndpoint: 'collector:4318' }, 'an http:// or https:// URL'],
    ['serviceName', { serviceName: 'API Gateway' }, 'lower-case name'],
    ['maxQueueSize', { maxQueueSize: 1.5 }, 'an integer'],
    ['servicename', { servicename: 'x' }, 'a known option'],
  ])(
    'throws for a bad %s passed in code, naming option, value and what is allowed',
    (option, options, allowed) => {
      let caught: unknown;
      try {
        resolveConfig({ serviceName: 'svc', ...options }, {});
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(TelemetryConfigError);
      const error = caught as TelemetryConfigError;
      expect(error.code).toBe(TELEMETRY_ERROR_CODES.invalidOption);
      expect(error.option).toBe(option);
      expect(error.message).toContain(`option ${option} is`);
      expect(error.message).toContain(allowed);
    },
  );

  it('parses the standard exporter and sampler variables as OpenTelemetry defines them', () => {
    expect(resolveConfig({ serviceName: 'svc' }, { OTEL_TRACES_EXPORTER: 'NONE' }).exportTraces).toBe(false);
    expect(
      resolveConfig({ serviceName: 'svc' }, { OTEL_TRACES_EXPORTER: 'console, OTLP' }).exportTraces,
    ).toBe(true);
    expect(resolveConfig({ serviceName: 'svc' }, { OTEL_LOGS_EXPORTER: 'OTLP' }).exportLogs).toBe(true);
    expect(resolveConfig({ serviceName: 'svc' }, { OTEL_TRACES_SAMPLER: 'always_off' }).samplingRatio).toBe(
      0,
    );
    expect(
      resolveConfig(
        { serviceName: 'svc' },
        { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.2' },
      ).samplingRatio,
    ).toBe(0.2);
    expect(
      resolveConfig(
        { serviceName: 'svc' },
        { OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: '0.2' },
      ).samplingRatio,
    ).toBe(1);
    expect(
      resolveConfig(
        { serviceName: 'svc' },
        { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/custom/traces' },
      ).tracesEndpoint,
    ).toBe('http://collector:4318/custom/traces');
  });

  it('rejects environment values that only look right', () => {
    const config = resolveConfig(
      { serviceName: 'svc' },
      {
        OTEL_BSP_MAX_QUEUE_SIZE: '0x10',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/?x=1',
        PYAIRTABLE_API_KEY_HMAC_SECRET: 'a',
      },
    );
    expect(config).toMatchObject({
      maxQueueSize: 2048,
      otlpEndpoint: 'http://127.0.0.1:4318',
      apiKeyHmacSecret: undefined,
    });
    expect(warnings).toHaveLength(3);
  });

  it('reads the API key HMAC secret from a file and never warns it into the output', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-'));
    const file = join(dir, 'hmac');
    writeFileSync(file, 'file-secret-value-1234\n');
    expect(
      resolveConfig({ serviceName: 'svc' }, { PYAIRTABLE_API_KEY_HMAC_SECRET_FILE: file }).apiKeyHmacSecret,
    ).toBe('file-secret-value-1234');
    expect(
      resolveConfig({ serviceName: 'svc' }, { PYAIRTABLE_API_KEY_HMAC_SECRET_FILE: join(dir, 'missing') })
        .apiKeyHmacSecret,
    ).toBeUndefined();
    expect(warnings.join('\n')).toContain('cannot be read');
    expect(() => resolveConfig({ serviceName: 'svc', apiKeyHmacSecret: 'short' }, {})).toThrow(
      /at least 16 characters/,
    );
    expect(() => resolveConfig({ serviceName: 'svc', apiKeyHmacSecret: 'short' }, {})).not.toThrow(/short"/);
  });
});

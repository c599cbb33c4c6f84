import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ENVIRONMENTS,
  PII_KEY_RULES,
  PII_NEVER_MASKED_KEYS,
  PII_VALUE_RULES,
  RESOURCE_ATTRIBUTES,
  SAMPLING_POLICIES,
} from '@pyairtable/conventions';
import { COLLECTOR_VERSION, buildModel, collectorConfig, renderCollectorConfig } from '@pyairtable/stack';
import { COLLECTOR_COMPONENTS, COLLECTOR_MODULES as MODULES } from './reference.js';

interface Config {
  extensions: Record<string, unknown>;
  receivers: Record<string, unknown>;
  processors: Record<string, Record<string, unknown>>;
  exporters: Record<string, unknown>;
  service: {
    extensions: string[];
    pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }>;
  };
}

const configFor = (
  profile: (typeof ENVIRONMENTS)[number],
  components?: Parameters<typeof buildModel>[0]['components'],
): Config =>
  parse(renderCollectorConfig(buildModel({ profile, ...(components ? { components } : {}) }))) as Config;

describe(`collector configuration (contrib ${COLLECTOR_VERSION})`, () => {
  it('pins the version whose component list the checks read', () => {
    expect(COLLECTOR_COMPONENTS.version).toBe(COLLECTOR_VERSION);
  });

  it.each(ENVIRONMENTS)('uses only components of the pinned manifest (%s)', (profile) => {
    for (const components of [undefined, ['otel-collector' as const]]) {
      const config = configFor(profile, components);
      for (const section of ['receivers', 'processors', 'exporters', 'extensions'] as const)
        for (const id of Object.keys(config[section])) {
          const type = id.split('/')[0] ?? id;
          const module = MODULES[`${section}/${type}`];
          expect(module, `${section}/${type} has a known module`).toBeDefined();
          expect(COLLECTOR_COMPONENTS.components[section], `${module ?? ''} is in the release`).toContain(
            `${module ?? 'missing'}@v${COLLECTOR_VERSION}`,
          );
        }
    }
  });

  it('wires pipelines only to defined components, memory_limiter first and batch last', () => {
    const config = configFor('production');
    for (const pipeline of Object.values(config.service.pipelines)) {
      for (const receiver of pipeline.receivers) expect(config.receivers).toHaveProperty([receiver]);
      for (const processor of pipeline.processors) expect(config.processors).toHaveProperty([processor]);
      for (const exporter of pipeline.exporters) expect(config.exporters).toHaveProperty([exporter]);
      expect(pipeline.processors[0]).toBe('memory_limiter');
      expect(pipeline.processors.at(-1)).toBe('batch');
    }
    for (const extension of config.service.extensions) expect(config.extensions).toHaveProperty([extension]);
    expect(config.service.pipelines['traces']?.exporters).toEqual(['otlp_grpc/jaeger']);
  });

  it.each(ENVIRONMENTS)('tail-samples exactly as the contract says for %s', (profile) => {
    const policy = SAMPLING_POLICIES[profile];
    const expected: unknown[] = [
      { name: 'keep-errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
      { name: 'keep-slow', type: 'latency', latency: { threshold_ms: policy.keepSlowerThanMs } },
    ];
    if (policy.keepServices.length > 0)
      expected.push({
        name: 'keep-critical-services',
        type: 'string_attribute',
        string_attribute: { key: RESOURCE_ATTRIBUTES.serviceName, values: policy.keepServices },
      });
    expected.push({
      name: 'probabilistic',
      type: 'probabilistic',
      probabilistic: { sampling_percentage: policy.probabilisticPercent },
    });
    const section = configFor(profile).processors['tail_sampling'];
    expect(section?.['policies']).toEqual(expected);
    expect(section?.['decision_wait']).toBe(`${String(policy.decisionWaitSeconds)}s`);
  });

  it('redacts exactly the contract PII rules, in RE2 syntax', () => {
    const section = configFor('production').processors['redaction'];
    expect(section).toEqual({
      allow_all_keys: true,
      ignored_keys: PII_NEVER_MASKED_KEYS,
      blocked_key_patterns: PII_KEY_RULES.map((rule) =>
        rule.caseInsensitive ? `(?i)${rule.pattern}` : rule.pattern,
      ),
      blocked_values: PII_VALUE_RULES.map((rule) =>
        rule.caseInsensitive ? `(?i)${rule.pattern}` : rule.pattern,
      ),
      summary: 'silent',
    });
  });

  it('renders deterministically and leaves no variable unexpanded', () => {
    const text = renderCollectorConfig(buildModel({ profile: 'staging' }));
    expect(renderCollectorConfig(buildModel({ profile: 'staging' }))).toBe(text);
    expect(text).not.toMatch(/\$\{/);
    expect(collectorConfig(buildModel({ profile: 'staging' }))).toHaveProperty(
      ['exporters', 'prometheus', 'endpoint'],
      '0.0.0.0:8889',
    );
  });
});

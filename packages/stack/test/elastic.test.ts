import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  LOG_CATEGORIES,
  LOG_FIELDS,
  LOG_RETENTION,
  PII_MASK,
  TRACES_RETENTION,
  createPiiMasker,
} from '@pyairtable/conventions';
import {
  ENGINES,
  NEGATIVES,
  ORDINARY_KEYS,
  POSITIVES,
  SENSITIVE_KEYS,
  engineAvailable,
  runEngine,
  tempDir,
} from '@pyairtable/test-support';
import {
  COMPONENTS,
  ELASTIC_PATHS,
  LOG_INDEX_PREFIX,
  TRACES_ILM_POLICY,
  logDataStream,
  rubyAnchors,
} from '@pyairtable/stack';
import { RENDERS } from './render-fixture.js';

const production = RENDERS.production;
const json = (path: string): Record<string, unknown> =>
  JSON.parse(production.file(path)) as Record<string, unknown>;

interface Phase {
  min_age: string;
  actions: Record<string, unknown>;
}
const phasesOf = (name: string): Record<string, Phase> =>
  (json(`elastic-setup/ilm/${name}.json`) as { policy: { phases: Record<string, Phase> } }).policy.phases;

describe('Elasticsearch objects created by the setup job', () => {
  it.each(LOG_CATEGORIES)('%s logs: an ILM policy matching the contract’s retention', (category) => {
    const rule = LOG_RETENTION[category];
    const phases = phasesOf(logDataStream(category));
    expect(phases['delete']).toEqual({
      min_age: `${String(rule.deleteAfterDays)}d`,
      actions: { delete: {} },
    });
    expect(Object.keys(phases)).toEqual([...rule.tiers.map((tier) => tier.tier), 'delete']);
    for (const tier of rule.tiers) expect(phases[tier.tier]?.min_age).toBe(`${String(tier.fromDay)}d`);
    expect(phases['hot']?.actions).toHaveProperty('rollover');
  });

  it('application logs go hot, warm, cold and are deleted after 30 days; security 90; audit 365', () => {
    expect(Object.keys(phasesOf(logDataStream('application')))).toEqual(['hot', 'warm', 'cold', 'delete']);
    expect(phasesOf(logDataStream('security'))['delete']?.min_age).toBe('90d');
    expect(phasesOf(logDataStream('audit'))['delete']?.min_age).toBe('365d');
  });

  it('traces: deleted 7 days after their daily index was created, without rollover', () => {
    const phases = phasesOf(TRACES_ILM_POLICY);
    expect(phases['delete']?.min_age).toBe(`${String(TRACES_RETENTION.deleteAfterDays)}d`);
    expect(phases['hot']?.actions).not.toHaveProperty('rollover');
    expect(json('elastic-setup/trace-indices-settings.json')).toEqual({
      'index.lifecycle.name': TRACES_ILM_POLICY,
    });
  });

  it.each(LOG_CATEGORIES)(
    '%s logs: a data stream template using its policy and mapping every contract field',
    (category) => {
      const template = json(`elastic-setup/index-templates/${logDataStream(category)}.json`) as {
        index_patterns: string[];
        data_stream: object;
        template: {
          settings: Record<string, unknown>;
          mappings: { dynamic: boolean; properties: Record<string, unknown> };
        };
      };
      expect(template.index_patterns).toEqual([logDataStream(category)]);
      expect(template.data_stream).toEqual({});
      const policy = template.template.settings['index.lifecycle.name'] as string;
      // The policy the template names is one the job creates.
      expect(production.render.files.map((file) => file.path)).toContain(`elastic-setup/ilm/${policy}.json`);
      expect(policy).toBe(logDataStream(category));
      for (const path of Object.values(LOG_FIELDS)) {
        let node: Record<string, unknown> | undefined = template.template.mappings.properties;
        const parts = path.split('.');
        for (const part of parts.slice(0, -1))
          node = (node?.[part] as { properties?: Record<string, unknown> } | undefined)?.properties;
        expect(node?.[parts[parts.length - 1] ?? ''], `mapping for ${path}`).toHaveProperty('type');
      }
      expect(template.template.mappings.dynamic).toBe(false);
    },
  );

  it('a Kibana data view per category and one over all of them, on the contract’s timestamp', () => {
    for (const category of LOG_CATEGORIES)
      expect(json(`elastic-setup/data-views/${logDataStream(category)}.json`)).toMatchObject({
        data_view: {
          id: logDataStream(category),
          title: logDataStream(category),
          timeFieldName: LOG_FIELDS.timestamp,
        },
        override: true,
      });
    expect(json(`elastic-setup/data-views/${LOG_INDEX_PREFIX}all.json`)).toMatchObject({
      data_view: { title: `${LOG_INDEX_PREFIX}*` },
    });
  });
});

describe('the setup script', () => {
  const script = production.file('elastic-setup/setup.sh');

  it('is valid bash', () => {
    if (!engineAvailable(ENGINES.bash)) return;
    const dir = tempDir('setup-sh');
    try {
      writeFileSync(join(dir.path, 'setup.sh'), script);
      const result = runEngine(ENGINES.bash, ['-n', join(dir.path, 'setup.sh')]);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    } finally {
      dir.cleanup();
    }
  });

  it('passes shellcheck, which also catches a planted mistake', () => {
    if (!engineAvailable(ENGINES.shellcheck)) return;
    const check = (text: string): { status: number | null; stdout: string } =>
      runEngine(ENGINES.shellcheck, ['--shell=bash', '--severity=warning', '-'], { input: text });
    const result = check(script);
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
    // Negative control: an assigned but never used variable is a shellcheck warning (SC2034).
    expect(check(`${script}\nnever_used=1\n`).stdout).toContain('SC2034');
  });

  it('creates policies, templates and the Kibana password before data views, and applies trace retention', () => {
    expect(script.indexOf('_ilm/policy')).toBeLessThan(script.indexOf('_index_template'));
    expect(script).toContain('_security/user/kibana_system/_password');
    expect(script).toContain('/api/data_views/data_view');
    expect(script).toContain('jaeger-*/_settings');
    // Credentials reach curl on stdin, never on its command line.
    expect(script).not.toMatch(/curl[^\n]*\s-u\s/);
  });
});

describe('Filebeat and Logstash', () => {
  const filebeat = parse(production.file('filebeat/filebeat.yml')) as Record<string, unknown>;
  const pipeline = production.file('logstash/pipeline/pyairtable-logs.conf');

  it('Filebeat reads container logs and ships PyAirtable services’ lines to Logstash’s beats port', () => {
    expect(filebeat['output.logstash']).toMatchObject({
      hosts: [`logstash:${String(COMPONENTS.logstash.port)}`],
    });
    expect(pipeline).toMatch(new RegExp(`beats \\{\\s+port => ${String(COMPONENTS.logstash.port)}\\s`));
    const development = parse(RENDERS.development.file('filebeat/filebeat.yml')) as Record<string, unknown>;
    expect(development['output.logstash']).toEqual({
      hosts: [`logstash:${String(COMPONENTS.logstash.port)}`],
    });
    expect(JSON.stringify(filebeat['filebeat.inputs'])).toContain('/var/lib/docker/containers/*/*.log');
  });

  it('Logstash routes by the contract’s categories to the data streams the templates shape, after masking', () => {
    for (const category of LOG_CATEGORIES) expect(pipeline).toContain(`"${category}"`);
    expect(pipeline).toContain(`${LOG_INDEX_PREFIX}%{[category]}`);
    expect(pipeline).toContain('action => "create"');
    expect(pipeline.indexOf(`ruby { path => "${ELASTIC_PATHS.piiScript}" }`)).toBeGreaterThan(
      pipeline.indexOf('json {'),
    );
    expect(pipeline.indexOf('ruby {')).toBeLessThan(pipeline.indexOf('output {'));
    // No grok: the records are JSON, parsed as JSON.
    expect(pipeline).not.toContain('grok');
    expect(RENDERS.production.compose.services['logstash']?.volumes).toContain(
      `./logstash/scripts/pii_mask.rb:${ELASTIC_PATHS.piiScript}:ro`,
    );
  });
});

describe('the Logstash PII script under a real Ruby', () => {
  const masker = createPiiMasker();
  // A stand-in for Logstash's Event with the calls the script makes: to_hash and set("[key]", v).
  const harness = `require 'json'
class Event
  def initialize(data); @data = data; end
  def to_hash; Marshal.load(Marshal.dump(@data)); end
  def set(reference, value)
    key = reference[/\\A\\[([^\\]]+)\\]\\z/, 1] or raise "unexpected field reference #{reference}"
    @data[key] = value
  end
end
load ARGV[0]
register({})
STDIN.each_line do |line|
  events = filter(Event.new(JSON.parse(line)))
  puts JSON.generate(events.first.to_hash)
end
`;
  const records: Record<string, unknown>[] = [
    ...POSITIVES.map(({ text }) => ({ message: text })),
    ...NEGATIVES.map((text) => ({ message: text })),
    ...SENSITIVE_KEYS.map((key) => ({ attributes: { [key]: 'hunter2' } })),
    ...ORDINARY_KEYS.map((key) => ({ attributes: { [key]: 'plain value' } })),
    {
      message: 'GET /api/records 200',
      trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' },
      api_key: { hash: 'a'.repeat(64) },
      user: { id: 'ann@example.com' },
      context: { password: 'hunter2', items: ['4111 1111 1111 1111', 3, null, true] },
      attributes: { nested: { deeper: { authorization: 'Bearer abcdefghijklmnopqrstuvwxyz' } } },
    },
  ];

  it('masks exactly what the reference masker masks, record by record', () => {
    if (!engineAvailable(ENGINES.ruby)) return;
    const dir = tempDir('pii-ruby');
    try {
      writeFileSync(join(dir.path, 'pii_mask.rb'), production.file('logstash/scripts/pii_mask.rb'));
      writeFileSync(join(dir.path, 'harness.rb'), harness);
      const result = runEngine(ENGINES.ruby, [join(dir.path, 'harness.rb'), join(dir.path, 'pii_mask.rb')], {
        input: records.map((record) => JSON.stringify(record)).join('\n'),
      });
      expect(result.stderr).toBe('');
      const masked = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown);
      expect(masked).toHaveLength(records.length);
      records.forEach((record, index) => {
        expect(masked[index], JSON.stringify(record)).toEqual(masker.maskValue(record));
      });
      // The corpus really exercises the script: positives changed, the mask appears.
      expect(JSON.stringify(masked)).toContain(PII_MASK);
    } finally {
      dir.cleanup();
    }
  });

  it('turns string anchors into Ruby’s, leaving character classes alone', () => {
    expect(rubyAnchors('(^|[^a-z])ssn$')).toBe('(\\A|[^a-z])ssn\\z');
    expect(rubyAnchors('[$^]x\\$')).toBe('[$^]x\\$');
  });
});

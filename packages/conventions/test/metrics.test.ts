import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINES, engineAvailable, runEngine, tempDir } from '@pyairtable/test-support';
import type { MetricDefinition } from '@pyairtable/conventions';
import {
  IDENTITY_LABELS,
  METRICS,
  METRIC_CATALOG,
  METRIC_DIMENSIONS,
  SLOW_QUERY_SECONDS,
  SLOW_REQUEST_SECONDS,
  catalogProblems,
  metricDefinitionProblems,
  prometheusLabelName,
  prometheusMetricName,
} from '@pyairtable/conventions';

describe('metric catalog', () => {
  it('breaks no naming rule', () => {
    expect(catalogProblems(METRIC_CATALOG)).toEqual([]);
  });

  it('covers every dimension of the spec', () => {
    for (const dimension of METRIC_DIMENSIONS)
      expect(
        METRIC_CATALOG.some((metric) => metric.dimension === dimension),
        dimension,
      ).toBe(true);
  });

  it('maps to the OpenTelemetry semantic conventions where one exists', () => {
    const byOtelName = new Map(METRIC_CATALOG.map((metric) => [metric.otelName, metric]));
    expect(byOtelName.get('http.server.request.duration')?.name).toBe('http_server_request_duration_seconds');
    expect(byOtelName.get('gen_ai.client.token.usage')?.name).toBe('gen_ai_client_token_usage');
    expect(byOtelName.get('db.client.operation.duration')?.name).toBe('db_client_operation_duration_seconds');
    expect(METRICS.httpServerRequestDuration.labels.map((label) => label.name)).toEqual([
      'http_request_method',
      'http_route',
      'http_response_status_code',
    ]);
  });

  it('puts each latency threshold of the spec on a bucket boundary', () => {
    expect(METRICS.httpServerRequestDuration.buckets).toContain(SLOW_REQUEST_SECONDS);
    expect(METRICS.dbClientOperationDuration.buckets).toContain(SLOW_QUERY_SECONDS);
  });

  it('keeps every OpenTelemetry-advised HTTP bucket boundary', () => {
    const advised = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
    for (const bound of advised) expect(METRICS.httpServerRequestDuration.buckets).toContain(bound);
  });
});

describe('OpenTelemetry to Prometheus translation', () => {
  it.each([
    ['http.server.request.duration', 's', 'histogram', 'http_server_request_duration_seconds'],
    ['http.server.active_requests', '{request}', 'gauge', 'http_server_active_requests'],
    ['system.network.io', 'By', 'counter', 'system_network_io_bytes_total'],
    ['process.cpu.time', 's', 'counter', 'process_cpu_time_seconds_total'],
    ['already.in_seconds', 's', 'gauge', 'already_in_seconds'],
    ['requests_total', '{request}', 'counter', 'requests_total'],
    ['disk.throughput', 'By/s', 'gauge', 'disk_throughput_bytes_per_seconds'],
    ['cpu.utilization', '1', 'gauge', 'cpu_utilization'],
    ['weird..name-with.dashes', '{x}', 'gauge', 'weird_name_with_dashes'],
  ] as const)('%s (%s, %s) is %s', (otelName, unit, type, expected) => {
    expect(prometheusMetricName(otelName, unit, type)).toBe(expected);
  });

  it('translates attribute keys to label names', () => {
    expect(prometheusLabelName('http.response.status_code')).toBe('http_response_status_code');
    expect(prometheusLabelName('gen_ai.provider.name')).toBe('gen_ai_provider_name');
    expect(prometheusLabelName('9lives')).toBe('_9lives');
  });
});

describe('naming rules reject what they should', () => {
  const good: MetricDefinition = {
    name: 'pyairtable_widgets_total',
    otelName: 'pyairtable.widgets',
    type: 'counter',
    instrument: 'counter',
    unit: '{widget}',
    help: 'Widgets made.',
    dimension: 'business',
    labels: [
      {
        name: 'pyairtable_widget_kind',
        attribute: 'pyairtable.widget.kind',
        description: 'Kind.',
        values: ['a'],
      },
    ],
    semconv: false,
  };

  it('accepts the reference definition', () => {
    expect(metricDefinitionProblems(good)).toEqual([]);
  });

  const label = good.labels[0]!;
  it.each<[string, Partial<MetricDefinition>, string]>([
    ['camelCase name', { name: 'pyairtableWidgets_total' }, 'snake_case'],
    [
      'counter without _total',
      { name: 'pyairtable_widgets', otelName: 'pyairtable.widgets' },
      'counters end in _total',
    ],
    [
      'gauge with _total',
      {
        type: 'gauge',
        instrument: 'updowncounter',
        name: 'pyairtable_widgets_total',
        otelName: 'pyairtable.widgets_total',
      },
      'only counters end in _total',
    ],
    ['name not the translation', { name: 'pyairtable_gadgets_total' }, "OpenTelemetry's translation"],
    ['milliseconds', { unit: 'ms', name: 'pyairtable_widgets_milliseconds_total' }, 'not a base unit'],
    ['missing namespace', { name: 'widgets_total', otelName: 'widgets' }, 'namespaced pyairtable_'],
    ['semconv with our namespace', { semconv: true }, 'keep their OpenTelemetry name'],
    ['instrument mismatch', { instrument: 'histogram' }, 'is not exposed as a counter'],
    ['help not a sentence', { help: 'widgets' }, 'help is a sentence'],
    ['buckets on a counter', { buckets: [1, 2] }, 'only histograms have buckets'],
    [
      'histogram without buckets',
      {
        type: 'histogram',
        instrument: 'histogram',
        name: 'pyairtable_widgets',
        otelName: 'pyairtable.widgets',
      },
      'histograms define their buckets',
    ],
    [
      'unsorted buckets',
      {
        type: 'histogram',
        instrument: 'histogram',
        name: 'pyairtable_widgets',
        otelName: 'pyairtable.widgets',
        buckets: [1, 0.5],
      },
      'strictly increase',
    ],
    ['reserved label', { labels: [{ ...label, name: 'le', attribute: 'le' }] }, 'reserved by Prometheus'],
    ['identity label', { labels: [{ ...label, name: 'service', attribute: 'service' }] }, 'identity label'],
    ['label not the attribute', { labels: [{ ...label, name: 'kind' }] }, 'translated attribute key'],
    ['duplicate label', { labels: [label, label] }, 'listed twice'],
    ['empty value set', { labels: [{ ...label, values: [] }] }, 'at least one value'],
  ])('%s', (_case, change, expected) => {
    const problems = metricDefinitionProblems({ ...good, ...change });
    expect(problems.join('\n')).toContain(expected);
  });

  it('rejects two metrics whose series collide', () => {
    const histogram: MetricDefinition = {
      ...good,
      type: 'histogram',
      instrument: 'histogram',
      name: 'pyairtable_widgets',
      otelName: 'pyairtable.widgets',
      buckets: [1],
    };
    const counterNamedLikeItsCount: MetricDefinition = {
      ...good,
      name: 'pyairtable_widgets_count_total',
      otelName: 'pyairtable.widgets.count',
    };
    expect(catalogProblems([histogram, histogram]).join('\n')).toContain('also defined by');
    expect(catalogProblems([histogram, counterNamedLikeItsCount])).toEqual([]);
  });
});

/** The catalog as Prometheus exposition text: one sample per metric with representative labels. */
function exposition(catalog: readonly MetricDefinition[]): string {
  const lines: string[] = [];
  for (const metric of catalog) {
    const labels: Record<string, string> = {
      [IDENTITY_LABELS.service]: 'api-gateway',
      [IDENTITY_LABELS.tier]: 'gateway',
      [IDENTITY_LABELS.version]: '1.0.0',
    };
    for (const label of metric.labels)
      labels[label.name] = label.values?.[0] ?? (label.pattern ? '200' : 'example');
    const render = (extra: Record<string, string> = {}): string =>
      `{${Object.entries({ ...labels, ...extra })
        .map(([key, value]) => `${key}="${value}"`)
        .join(',')}}`;
    lines.push(`# HELP ${metric.name} ${metric.help}`, `# TYPE ${metric.name} ${metric.type}`);
    if (metric.type === 'histogram') {
      for (const bound of [...(metric.buckets ?? []), '+Inf'])
        lines.push(`${metric.name}_bucket${render({ le: String(bound) })} 1`);
      lines.push(`${metric.name}_sum${render()} 0.5`, `${metric.name}_count${render()} 1`);
    } else {
      lines.push(`${metric.name}${render()} 1`);
    }
  }
  return `${lines.join('\n')}\n`;
}

describe.runIf(engineAvailable(ENGINES.promtool))('promtool (real Prometheus linter)', () => {
  it('accepts the whole catalog as exposition text', () => {
    const result = runEngine(ENGINES.promtool, ['check', 'metrics'], { input: exposition(METRIC_CATALOG) });
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });

  it('flags a badly named metric, so the check above can fail', () => {
    const bad: MetricDefinition = { ...METRICS.userLogins, name: 'pyairtable_user_logins' };
    const result = runEngine(ENGINES.promtool, ['check', 'metrics'], { input: exposition([bad]) });
    expect(result.status).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toContain('_total');
  });

  it('parses the exposition as a scrape would (promtool tsdb create-blocks-from openmetrics)', () => {
    const dir = tempDir('catalog-exposition');
    try {
      const openMetrics = `${exposition(METRIC_CATALOG)
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => (line.startsWith('#') ? line : `${line} 1700000000`))
        .join('\n')}\n# EOF\n`;
      const file = join(dir.path, 'catalog.om');
      writeFileSync(file, openMetrics);
      const result = runEngine(ENGINES.promtool, [
        'tsdb',
        'create-blocks-from',
        'openmetrics',
        file,
        join(dir.path, 'data'),
      ]);
      expect(result.stderr).not.toMatch(/error/i);
      expect(result.status).toBe(0);
    } finally {
      dir.cleanup();
    }
  });
});

/**
 * The contract as a Markdown reference (`docs/conventions.md`), generated so that the document
 * can never drift from the code: a test compares the committed file with this output.
 */
import { AI_PRICE_TABLE } from './ai-pricing.js';
import { RESOURCE_ATTRIBUTES, SPAN_ATTRIBUTES } from './attributes.js';
import { BUSINESS_HEADERS, PROPAGATION_HEADERS } from './headers.js';
import { LOG_CATEGORIES, LOG_FIELDS, LOG_LEVELS } from './log-record.js';
import { IDENTITY_LABELS, METRIC_CATALOG } from './metrics.js';
import { PII_KEY_RULES, PII_MASK, PII_NEVER_MASKED_KEYS, PII_VALUE_RULES } from './pii.js';
import {
  COST_CENTERS,
  DEFAULT_COST_WEIGHT_BY_TIER,
  ENVIRONMENTS,
  PLATFORM_SERVICES,
  SERVICE_TIERS,
} from './platform.js';
import { RETENTION } from './retention.js';
import { SAMPLING_POLICIES } from './sampling.js';

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

const code = (text: string): string => `\`${text}\``;

function metricsSection(): string {
  const rows = METRIC_CATALOG.map((metric) => [
    code(metric.name),
    metric.type,
    code(metric.unit),
    metric.labels.map((label) => code(label.name)).join(', ') || '–',
    metric.dimension,
    `${code(metric.otelName)}${metric.semconv ? ' (semconv)' : ''}`,
    metric.help,
  ]);
  const labelRows = new Map<string, string[]>();
  for (const metric of METRIC_CATALOG)
    for (const label of metric.labels)
      labelRows.set(label.name, [
        code(label.name),
        code(label.attribute),
        label.values
          ? label.values.map(code).join(' ')
          : label.pattern
            ? `pattern ${code(label.pattern)}`
            : 'open',
        label.description,
      ]);
  const buckets = METRIC_CATALOG.filter((metric) => metric.buckets).map((metric) => [
    code(metric.name),
    (metric.buckets ?? []).join(', '),
  ]);
  return [
    '## Metrics',
    '',
    `Every series also carries the identity labels ${Object.values(IDENTITY_LABELS).map(code).join(', ')}.`,
    '',
    table(['Prometheus name', 'type', 'unit', 'labels', 'dimension', 'OpenTelemetry', 'help'], rows),
    '',
    '### Labels',
    '',
    table(['label', 'attribute', 'values', 'meaning'], [...labelRows.values()]),
    '',
    '### Histogram buckets',
    '',
    table(['metric', 'upper bounds'], buckets),
  ].join('\n');
}

function attributesSection(): string {
  const rows = (source: Readonly<Record<string, string>>): string[][] =>
    Object.entries(source).map(([name, key]) => [name, code(key)]);
  return [
    '## Attributes and headers',
    '',
    '### Resource attributes',
    '',
    table(['name', 'key'], rows(RESOURCE_ATTRIBUTES)),
    '',
    '### Span attributes',
    '',
    table(['name', 'key'], rows(SPAN_ATTRIBUTES)),
    '',
    '### Headers',
    '',
    table(['name', 'header'], [...rows(PROPAGATION_HEADERS), ...rows(BUSINESS_HEADERS)]),
  ].join('\n');
}

function logsSection(): string {
  return [
    '## Log records',
    '',
    `Levels: ${LOG_LEVELS.map(code).join(', ')}. Categories: ${LOG_CATEGORIES.map(code).join(', ')} ` +
      '(absent means `application`). Access records carry `http.method`, `http.status_code` and ' +
      '`http.response_time_ms`; security and audit records carry `event.action` and `event.outcome`; error ' +
      'records are logged at ERROR or FATAL.',
    '',
    table(
      ['name', 'field'],
      Object.entries(LOG_FIELDS).map(([name, field]) => [name, code(field)]),
    ),
  ].join('\n');
}

function retentionSection(): string {
  const rows = Object.entries(RETENTION).map(([type, rule]) => [
    type,
    `${rule.deleteAfterDays} days`,
    rule.tiers.map((phase) => `${phase.tier} from day ${phase.fromDay}`).join(', '),
    rule.rationale ?? rule.storage,
  ]);
  return ['## Retention', '', table(['data', 'deleted after', 'tiers', 'notes'], rows)].join('\n');
}

function samplingSection(): string {
  const rows = ENVIRONMENTS.map((environment) => {
    const policy = SAMPLING_POLICIES[environment];
    return [
      environment,
      `${policy.probabilisticPercent}%`,
      policy.keepErrors ? 'yes' : 'no',
      policy.keepSlowerThanMs === undefined ? '–' : `≥ ${policy.keepSlowerThanMs} ms`,
      policy.keepServices.map(code).join(', ') || '–',
      `${policy.decisionWaitSeconds} s`,
      String(policy.headSamplingRatio),
    ];
  });
  return [
    '## Trace sampling',
    '',
    table(
      [
        'environment',
        'random share',
        'keep errors',
        'keep slow',
        'keep services',
        'decision wait',
        'SDK head ratio',
      ],
      rows,
    ),
  ].join('\n');
}

function piiSection(): string {
  return [
    '## PII rules',
    '',
    `Matches are replaced by ${code(PII_MASK)}. Patterns are RE2/JavaScript common syntax; (i) marks case-insensitive rules.`,
    '',
    '### Keys whose values are masked whole',
    '',
    table(
      ['rule', 'pattern', 'what'],
      PII_KEY_RULES.map((rule) => [
        rule.id,
        `${code(rule.pattern)}${rule.caseInsensitive ? ' (i)' : ''}`,
        rule.description,
      ]),
    ),
    '',
    '### Values masked wherever they appear',
    '',
    table(
      ['rule', 'what', 'extra check'],
      PII_VALUE_RULES.map((rule) => [rule.id, rule.description, rule.validator ?? '–']),
    ),
    '',
    `Never masked: ${PII_NEVER_MASKED_KEYS.map(code).join(', ')}.`,
  ].join('\n');
}

function platformSection(): string {
  return [
    '## Platform',
    '',
    `Environments: ${ENVIRONMENTS.map(code).join(', ')}. Cost centers: ${COST_CENTERS.map(code).join(', ')}.`,
    '',
    table(
      ['tier', 'default cost weight'],
      SERVICE_TIERS.map((tier) => [code(tier), String(DEFAULT_COST_WEIGHT_BY_TIER[tier])]),
    ),
    '',
    table(
      ['service', 'tier', 'role'],
      PLATFORM_SERVICES.map((service) => [code(service.name), service.tier, service.description]),
    ),
  ].join('\n');
}

function pricesSection(): string {
  const usd = (value: number | undefined): string => (value === undefined ? '–' : `$${value}`);
  return [
    '## AI model prices',
    '',
    `USD per million tokens, list prices as of ${AI_PRICE_TABLE.effectiveDate}.`,
    '',
    table(
      ['provider', 'model', 'input', 'cached input', 'output'],
      AI_PRICE_TABLE.models.map((entry) => [
        entry.provider,
        code(entry.model),
        usd(entry.inputUsdPerMillion),
        usd(entry.cachedInputUsdPerMillion),
        usd(entry.outputUsdPerMillion),
      ]),
    ),
  ].join('\n');
}

/** The whole contract as Markdown. */
export function contractReference(): string {
  return (
    [
      '# Telemetry contract reference',
      '<!-- Generated from packages/conventions by `npm run docs`; do not edit by hand. -->',
      metricsSection(),
      attributesSection(),
      logsSection(),
      retentionSection(),
      samplingSection(),
      piiSection(),
      platformSection(),
      pricesSection(),
    ].join('\n\n') + '\n'
  );
}

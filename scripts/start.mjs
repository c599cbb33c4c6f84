// `npm start`: the main job. Local mode (`obs up --demo`) arrives with the CLI; until then this
// shows what the contract defines, from the built package, so the command works on a fresh clone.
import {
  LOG_CATEGORIES,
  METRIC_CATALOG,
  METRIC_DIMENSIONS,
  PII_KEY_RULES,
  PII_VALUE_RULES,
  RETENTION,
  SAMPLING_POLICIES,
} from '@pyairtable/conventions';

const lines = [
  'PyAirtable Observability: the telemetry contract (@pyairtable/conventions)',
  '',
  `Metrics: ${METRIC_CATALOG.length}`,
  ...METRIC_DIMENSIONS.map(
    (dimension) =>
      `  ${dimension.padEnd(12)} ${METRIC_CATALOG.filter((metric) => metric.dimension === dimension)
        .map((metric) => metric.name)
        .join(', ')}`,
  ),
  `Log categories: ${LOG_CATEGORIES.join(', ')}`,
  `Retention (days): ${Object.entries(RETENTION)
    .map(([type, rule]) => `${type} ${rule.deleteAfterDays}`)
    .join(', ')}`,
  `Trace sampling: ${Object.entries(SAMPLING_POLICIES)
    .map(([environment, policy]) => `${environment} ${policy.probabilisticPercent}%`)
    .join(', ')} (errors, slow traces and critical services always kept where the policy says)`,
  `PII rules: ${PII_KEY_RULES.length} key rules, ${PII_VALUE_RULES.length} value rules`,
  '',
  'Full reference: docs/conventions.md. Local mode with the demo (obs up) is not built yet; see the README status table.',
];
console.log(lines.join('\n'));

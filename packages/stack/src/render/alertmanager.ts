/**
 * alertmanager.yml from the resolved channels. Stays within syntax that Debian's amtool 0.25
 * (which the tests run) and the pinned Alertmanager both accept; secrets only by `*_file`.
 */
import { IDENTITY_LABELS } from '@pyairtable/conventions';
import type { Channels, ReceiverName } from '../alerting.js';
import type { AlertName } from '@pyairtable/conventions';
import { scaledDuration } from '../duration.js';
import { ALERTMANAGER_SECRET_FILES, RECEIVERS } from '../alerting.js';
import { renderYaml } from './yaml.js';

const INHIBITING: AlertName = 'ServiceDown';
const INHIBITED: readonly AlertName[] = ['HighErrorRate', 'HighResponseTime'];

/** Labels every alert rule carries, on which routing decides. */
export const ROUTING_LABELS = { severity: 'severity', category: 'category' } as const;

/** Which alerts each receiver takes, as Alertmanager matchers. */
const ROUTE_MATCHERS: Readonly<Record<ReceiverName, string>> = {
  critical: `${ROUTING_LABELS.severity}="critical"`,
  security: `${ROUTING_LABELS.category}="security"`,
  finops: `${ROUTING_LABELS.category}="cost"`,
  oncall: `${ROUTING_LABELS.category}=~"performance|business"`,
};

const SLACK_TITLE =
  '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} {{ .CommonLabels.service }} ({{ .CommonLabels.severity }})';
const SLACK_TEXT = '{{ range .Alerts }}{{ .Annotations.summary }}\n{{ .Annotations.description }}\n{{ end }}';

/** Where a deployment differs from the defaults: tests point the integrations at loopback sinks. */
export interface AlertmanagerOptions {
  /** Files Alertmanager reads the secrets from (default: the Compose secrets under /run/secrets). */
  readonly secretFiles?: Readonly<Partial<Record<keyof typeof ALERTMANAGER_SECRET_FILES, string>>>;
  /** PagerDuty Events API URL (default: PagerDuty's own). */
  readonly pagerdutyUrl?: string;
  /** The model's time scale: group waits and intervals shrink with it in tests. */
  readonly timeScale?: number;
}

function receiver(
  name: ReceiverName,
  channels: Channels,
  options: AlertmanagerOptions,
): Record<string, unknown> {
  const files = { ...ALERTMANAGER_SECRET_FILES, ...options.secretFiles };
  const config: Record<string, unknown> = { name };
  const email = channels.emails[name];
  if (email !== undefined) config['email_configs'] = [{ to: email, send_resolved: true }];
  if (channels.slack && name !== 'finops' && name !== 'security')
    config['slack_configs'] = [
      {
        api_url_file: files.slackWebhookUrl,
        send_resolved: true,
        title: SLACK_TITLE,
        text: SLACK_TEXT,
      },
    ];
  if (channels.pagerduty && name === 'critical')
    config['pagerduty_configs'] = [
      {
        routing_key_file: files.pagerdutyServiceKey,
        send_resolved: true,
        // PagerDuty's severities are ours (critical, warning, info); its default is "error".
        severity: '{{ .CommonLabels.severity }}',
        description:
          '{{ .CommonLabels.alertname }} {{ .CommonLabels.service }}: {{ .CommonAnnotations.summary }}',
      },
    ];
  return config;
}

const hasIntegration = (config: Record<string, unknown>): boolean => Object.keys(config).length > 1;

export interface AlertmanagerRender {
  readonly text: string;
  /** Routing gaps: receivers that deliver nowhere and what their alerts fall back to. */
  readonly warnings: readonly string[];
}

export function alertmanagerConfig(
  channels: Channels,
  options: AlertmanagerOptions = {},
): { document: object; warnings: string[] } {
  const warnings: string[] = [];
  const receivers = RECEIVERS.map((name) => receiver(name, channels, options));
  const scale = options.timeScale ?? 1;
  const files = { ...ALERTMANAGER_SECRET_FILES, ...options.secretFiles };
  const usable = new Set(receivers.filter(hasIntegration).map((config) => config['name'] as ReceiverName));
  if (!usable.has('oncall'))
    warnings.push(
      'the oncall receiver has no channel (set ONCALL_EMAIL or SLACK_WEBHOOK_URL): unrouted alerts are not delivered.',
    );
  const routes = RECEIVERS.filter((name) => name !== 'oncall' && usable.has(name)).map((name) => ({
    receiver: name,
    matchers: [ROUTE_MATCHERS[name]],
    // A critical security alert pages and also reaches the security team.
    ...(name === 'critical' ? { continue: true } : {}),
  }));
  for (const name of RECEIVERS)
    if (name !== 'oncall' && !usable.has(name))
      warnings.push(`the ${name} receiver has no channel: its alerts go to oncall.`);

  const global: Record<string, unknown> = { resolve_timeout: '5m' };
  if (channels.smtp !== undefined) {
    global['smtp_smarthost'] = channels.smtp.smarthost;
    global['smtp_from'] = channels.smtp.from;
    if (channels.smtp.username !== undefined) global['smtp_auth_username'] = channels.smtp.username;
    if (channels.smtp.password) global['smtp_auth_password_file'] = files.smtpPassword;
    global['smtp_require_tls'] = channels.smtp.requireTls;
  }
  if (options.pagerdutyUrl !== undefined) global['pagerduty_url'] = options.pagerdutyUrl;
  return {
    document: {
      global,
      route: {
        receiver: 'oncall',
        group_by: ['alertname', 'service'],
        group_wait: scaledDuration(30, scale),
        group_interval: scaledDuration(300, scale),
        repeat_interval: scaledDuration(4 * 3600, scale),
        routes,
      },
      receivers,
      // Only within one service: its ServiceDown explains its own errors and latency, and
      // nothing else (a CPU alert or another service's outage silences nothing).
      inhibit_rules: [
        {
          source_matchers: [`alertname="${INHIBITING}"`],
          target_matchers: [`alertname=~"${INHIBITED.join('|')}"`],
          equal: [IDENTITY_LABELS.service],
        },
      ],
    },
    warnings,
  };
}

export function renderAlertmanagerConfig(
  channels: Channels,
  profile: string,
  options: AlertmanagerOptions = {},
): AlertmanagerRender {
  const { document, warnings } = alertmanagerConfig(channels, options);
  return { text: renderYaml(document, `Alertmanager configuration, profile ${profile}`), warnings };
}

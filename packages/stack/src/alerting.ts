/**
 * Notification channels from the environment, decided at render time (Alertmanager never
 * expands `${VAR}` in its configuration). A channel whose variable is unset is left out with
 * a warning rather than rendered as a broken address. Secrets (the Slack webhook, the PagerDuty
 * key, the SMTP password) are never written into the configuration: it names a file that the
 * deployment mounts from the environment (Compose secrets, Kubernetes secrets).
 */

type Env = Readonly<Record<string, string | undefined>>;

/** The spec's variables, and the SMTP settings e-mail needs. */
export const CHANNEL_VARIABLES = {
  criticalEmail: 'CRITICAL_EMAIL',
  oncallEmail: 'ONCALL_EMAIL',
  securityEmail: 'SECURITY_EMAIL',
  finopsEmail: 'FINOPS_EMAIL',
  slackWebhookUrl: 'SLACK_WEBHOOK_URL',
  pagerdutyServiceKey: 'PAGERDUTY_SERVICE_KEY',
  smtpSmarthost: 'SMTP_SMARTHOST',
  smtpFrom: 'SMTP_FROM',
  smtpUsername: 'SMTP_AUTH_USERNAME',
  smtpPassword: 'SMTP_AUTH_PASSWORD',
  /** `false` for a relay that cannot STARTTLS (only on a trusted network); default true. */
  smtpRequireTls: 'SMTP_REQUIRE_TLS',
} as const;

/** Where the deployment mounts each secret for Alertmanager (Compose's default secrets path). */
export const ALERTMANAGER_SECRET_FILES = {
  slackWebhookUrl: '/run/secrets/slack_webhook_url',
  pagerdutyServiceKey: '/run/secrets/pagerduty_service_key',
  smtpPassword: '/run/secrets/smtp_auth_password',
} as const;

export const RECEIVERS = ['critical', 'oncall', 'security', 'finops'] as const;
export type ReceiverName = (typeof RECEIVERS)[number];

export interface Channels {
  readonly emails: Readonly<Partial<Record<ReceiverName, string>>>;
  readonly slack: boolean;
  readonly pagerduty: boolean;
  readonly smtp?: {
    readonly smarthost: string;
    readonly from: string;
    readonly username?: string;
    readonly password: boolean;
    readonly requireTls: boolean;
  };
}

export interface ChannelResolution {
  readonly channels: Channels;
  /** One sentence per channel left out, naming the variable to set. */
  readonly warnings: readonly string[];
  /** Variables whose values are secrets and must reach the deployment as secrets, not files. */
  readonly secretVariables: readonly string[];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const HOST_PORT = /^[^\s:]+:\d{1,5}$/;

export function resolveChannels(env: Env): ChannelResolution {
  const warnings: string[] = [];
  const secretVariables: string[] = [];
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };

  let emails: Partial<Record<ReceiverName, string>> = {};
  const emailVariables: Record<ReceiverName, string> = {
    critical: CHANNEL_VARIABLES.criticalEmail,
    oncall: CHANNEL_VARIABLES.oncallEmail,
    security: CHANNEL_VARIABLES.securityEmail,
    finops: CHANNEL_VARIABLES.finopsEmail,
  };
  for (const receiver of RECEIVERS) {
    const variable = emailVariables[receiver];
    const address = value(variable);
    if (address === undefined) warnings.push(`${variable} is not set: no e-mail for ${receiver} alerts.`);
    else if (!EMAIL.test(address))
      warnings.push(`${variable}="${address}" is not an e-mail address: left out.`);
    else emails[receiver] = address;
  }

  const smarthost = value(CHANNEL_VARIABLES.smtpSmarthost);
  const from = value(CHANNEL_VARIABLES.smtpFrom);
  let smtp: Channels['smtp'];
  if (Object.keys(emails).length > 0) {
    if (smarthost === undefined || !HOST_PORT.test(smarthost) || from === undefined || !EMAIL.test(from)) {
      warnings.push(
        `${CHANNEL_VARIABLES.smtpSmarthost} (host:port) and ${CHANNEL_VARIABLES.smtpFrom} (an address) are needed to send e-mail: all e-mail channels left out.`,
      );
      emails = {};
    } else {
      const username = value(CHANNEL_VARIABLES.smtpUsername);
      const password = value(CHANNEL_VARIABLES.smtpPassword) !== undefined;
      if (password) secretVariables.push(CHANNEL_VARIABLES.smtpPassword);
      const requireTls = value(CHANNEL_VARIABLES.smtpRequireTls)?.toLowerCase() !== 'false';
      if (!requireTls)
        warnings.push(
          `${CHANNEL_VARIABLES.smtpRequireTls}=false: alert e-mail (and the SMTP password) travel unencrypted to ${smarthost}.`,
        );
      smtp = { smarthost, from, ...(username === undefined ? {} : { username }), password, requireTls };
    }
  }

  const slackUrl = value(CHANNEL_VARIABLES.slackWebhookUrl);
  let slack = false;
  if (slackUrl === undefined)
    warnings.push(`${CHANNEL_VARIABLES.slackWebhookUrl} is not set: no Slack notifications.`);
  else if (!/^https?:\/\/\S+$/.test(slackUrl))
    warnings.push(`${CHANNEL_VARIABLES.slackWebhookUrl} is not an http(s) URL: Slack left out.`);
  else {
    slack = true;
    secretVariables.push(CHANNEL_VARIABLES.slackWebhookUrl);
  }

  const pagerduty = value(CHANNEL_VARIABLES.pagerdutyServiceKey) !== undefined;
  if (pagerduty) secretVariables.push(CHANNEL_VARIABLES.pagerdutyServiceKey);
  else warnings.push(`${CHANNEL_VARIABLES.pagerdutyServiceKey} is not set: critical alerts page nobody.`);

  return {
    channels: { emails, slack, pagerduty, ...(smtp === undefined ? {} : { smtp }) },
    warnings,
    secretVariables,
  };
}

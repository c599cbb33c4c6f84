import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENGINES, engineAvailable, runEngine, tempDir } from '@pyairtable/test-support';
import {
  ALERTMANAGER_SECRET_FILES,
  CHANNEL_VARIABLES as V,
  renderAlertmanagerConfig,
  resolveChannels,
} from '@pyairtable/stack';

const ALL_SET = {
  [V.criticalEmail]: 'ops@company.com',
  [V.oncallEmail]: 'oncall@company.com',
  [V.securityEmail]: 'security@company.com',
  [V.finopsEmail]: 'finops@company.com',
  [V.slackWebhookUrl]: 'https://hooks.slack.com/services/T000/B000/SECRETSECRET',
  [V.pagerdutyServiceKey]: 'pd-integration-key-0123456789',
  [V.smtpSmarthost]: 'smtp.company.com:587',
  [V.smtpFrom]: 'alertmanager@company.com',
  [V.smtpUsername]: 'alertmanager',
  [V.smtpPassword]: 'smtp-password-value',
};

interface Receiver {
  name: string;
  email_configs?: { to: string }[];
  slack_configs?: { api_url_file: string }[];
  pagerduty_configs?: { routing_key_file: string }[];
}
interface Document {
  global: Record<string, unknown>;
  route: { receiver: string; routes: { receiver: string; matchers: string[]; continue?: boolean }[] };
  receivers: Receiver[];
}

describe('channels from the environment', () => {
  it('uses every channel that is set, and lists the secrets to mount', () => {
    const { channels, warnings, secretVariables } = resolveChannels(ALL_SET);
    expect(warnings).toEqual([]);
    expect(channels).toMatchObject({
      slack: true,
      pagerduty: true,
      smtp: { smarthost: 'smtp.company.com:587', password: true },
    });
    expect([...secretVariables].sort()).toEqual(
      [V.pagerdutyServiceKey, V.slackWebhookUrl, V.smtpPassword].sort(),
    );
  });

  it('leaves out each unset channel with a warning naming its variable', () => {
    const { channels, warnings } = resolveChannels({});
    expect(channels).toEqual({ emails: {}, slack: false, pagerduty: false });
    for (const variable of [
      V.criticalEmail,
      V.oncallEmail,
      V.securityEmail,
      V.finopsEmail,
      V.slackWebhookUrl,
      V.pagerdutyServiceKey,
    ])
      expect(warnings.some((warning) => warning.startsWith(variable))).toBe(true);
  });

  it('drops e-mail channels when SMTP is not configured, and malformed values', () => {
    const { channels, warnings } = resolveChannels({
      [V.oncallEmail]: 'oncall@company.com',
      [V.slackWebhookUrl]: 'not a url',
      [V.criticalEmail]: 'ops',
    });
    expect(channels.emails).toEqual({});
    expect(channels.slack).toBe(false);
    expect(warnings.join('\n')).toContain('SMTP_SMARTHOST');
    expect(warnings.join('\n')).toContain('CRITICAL_EMAIL="ops" is not an e-mail address');
  });
});

describe('Alertmanager configuration', () => {
  it('routes critical to PagerDuty and mail, security and cost to their teams, the rest to on-call', () => {
    const { text, warnings } = renderAlertmanagerConfig(resolveChannels(ALL_SET).channels, 'production');
    expect(warnings).toEqual([]);
    const document = parse(text) as Document;
    expect(document.route.receiver).toBe('oncall');
    expect(document.route.routes).toEqual([
      { receiver: 'critical', matchers: ['severity="critical"'], continue: true },
      { receiver: 'security', matchers: ['category="security"'] },
      { receiver: 'finops', matchers: ['category="cost"'] },
    ]);
    const byName = Object.fromEntries(document.receivers.map((receiver) => [receiver.name, receiver]));
    expect(byName['critical']?.pagerduty_configs).toEqual([
      expect.objectContaining({ routing_key_file: ALERTMANAGER_SECRET_FILES.pagerdutyServiceKey }),
    ]);
    expect(byName['critical']?.email_configs?.[0]?.to).toBe('ops@company.com');
    expect(byName['security']?.email_configs?.[0]?.to).toBe('security@company.com');
    expect(byName['finops']?.email_configs?.[0]?.to).toBe('finops@company.com');
    expect(byName['oncall']?.slack_configs?.[0]?.api_url_file).toBe(
      ALERTMANAGER_SECRET_FILES.slackWebhookUrl,
    );
  });

  it('never writes a secret value or an unexpanded variable into the file', () => {
    const { text } = renderAlertmanagerConfig(resolveChannels(ALL_SET).channels, 'production');
    for (const secret of ['SECRETSECRET', 'pd-integration-key', 'smtp-password-value'])
      expect(text).not.toContain(secret);
    expect(text).not.toMatch(/\$\{/);
  });

  it('renders deterministically', () => {
    const channels = resolveChannels(ALL_SET).channels;
    expect(renderAlertmanagerConfig(channels, 'production').text).toBe(
      renderAlertmanagerConfig(channels, 'production').text,
    );
  });

  it('with nothing set, still renders and says that alerts go nowhere', () => {
    const { text, warnings } = renderAlertmanagerConfig(resolveChannels({}).channels, 'development');
    expect((parse(text) as Document).route.routes).toEqual([]);
    expect(warnings.join('\n')).toContain('unrouted alerts are not delivered');
  });
});

describe.runIf(engineAvailable(ENGINES.amtool))('amtool check-config (real Alertmanager)', () => {
  function check(text: string): { status: number | null; output: string } {
    const dir = tempDir('alertmanager-config');
    try {
      const file = join(dir.path, 'alertmanager.yml');
      writeFileSync(file, text);
      const result = runEngine(ENGINES.amtool, ['check-config', file]);
      return { status: result.status, output: result.stdout + result.stderr };
    } finally {
      dir.cleanup();
    }
  }

  it('accepts the render with every channel set', () => {
    const result = check(renderAlertmanagerConfig(resolveChannels(ALL_SET).channels, 'production').text);
    expect(result.output).toContain('SUCCESS');
    expect(result.output).toContain('4 receivers');
    expect(result.status).toBe(0);
  });

  it('accepts the render with no channel set', () => {
    const result = check(renderAlertmanagerConfig(resolveChannels({}).channels, 'development').text);
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('rejects a route to a receiver that does not exist, so the checks above can fail', () => {
    const text = renderAlertmanagerConfig(resolveChannels(ALL_SET).channels, 'production').text.replace(
      'receiver: finops',
      'receiver: nobody',
    );
    expect(check(text).status).not.toBe(0);
  });
});

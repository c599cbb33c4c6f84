/**
 * End to end on loopback: the real Prometheus and Alertmanager (Debian's) run the rendered
 * configs at test speed (the model's time scale: minutes become seconds), an SDK-instrumented
 * service produces the fault, and the alert reaches a Slack-compatible webhook, an SMTP sink and
 * a PagerDuty-compatible endpoint, each listening here; when the fault stops, each receives the
 * resolution.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENGINES,
  captureLines,
  engineAvailable,
  freePort,
  plainFetch,
  tempDir,
} from '@pyairtable/test-support';
import type { Telemetry } from '@pyairtable/telemetry';
import { initTelemetry, instrumentRequestListener } from '@pyairtable/telemetry';
import {
  CHANNEL_VARIABLES as V,
  buildModel,
  renderAlertmanagerConfig,
  renderPrometheusConfig,
  renderRules,
  resolveChannels,
} from '@pyairtable/stack';

const ready = engineAvailable(ENGINES.prometheus) && engineAvailable(ENGINES.alertmanager);
const SERVICE = 'checkout';
const ROUTING_KEY = 'e2e-routing-key';

interface Received {
  path: string;
  body: Record<string, unknown>;
}

/** An HTTP endpoint recording every JSON body posted to it. */
async function jsonSink(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        received.push({
          path: request.url ?? '',
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        });
      } catch {
        received.push({ path: request.url ?? '', body: {} });
      }
      response.writeHead(202, { 'content-type': 'application/json' });
      response.end('{"status":"success"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`, received };
}

/** Quoted-printable soft line breaks and escapes undone, enough to search a message's text. */
const decodeQuotedPrintable = (text: string): string =>
  text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${String(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe.runIf(ready)(
  'alerting end to end: SDK service → Prometheus → Alertmanager → Slack, e-mail, PagerDuty',
  () => {
    const dir = tempDir('alerting-e2e');
    const processes: ChildProcess[] = [];
    const output: string[] = [];
    const mails: { subject: string; text: string }[] = [];
    let slack: Awaited<ReturnType<typeof jsonSink>>;
    let pagerduty: Awaited<ReturnType<typeof jsonSink>>;
    let smtp: SMTPServer;
    let telemetry: Telemetry;
    let service: Server;
    let serviceUrl = '';
    let fault = true;
    let alertmanagerUrl = '';
    let traffic: NodeJS.Timeout | undefined;

    const start = (command: string, args: string[]): void => {
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      processes.push(child);
    };
    const answers = async (url: string): Promise<boolean> => {
      try {
        return (await plainFetch(url)).ok;
      } catch {
        return false;
      }
    };

    beforeAll(async () => {
      slack = await jsonSink();
      pagerduty = await jsonSink();
      smtp = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        logger: false,
        onData(stream, _session, callback) {
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => {
            const raw = decodeQuotedPrintable(Buffer.concat(chunks).toString('utf8'));
            mails.push({ subject: /^Subject: (.*)$/m.exec(raw)?.[1] ?? '', text: raw });
            callback();
          });
        },
      });
      await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
      const smtpPort = (smtp.server.address() as AddressInfo).port;

      // The faulty service: 30% of its requests fail while `fault` holds.
      telemetry = initTelemetry({
        serviceName: SERVICE,
        serviceTier: 'application',
        exportTraces: false,
        logDestination: captureLines().stream,
        runtimeMetrics: false,
      });
      let count = 0;
      service = createServer(
        instrumentRequestListener(telemetry, (request, response) => {
          if (request.url === '/metrics') {
            telemetry.metricsHandler(request, response);
            return;
          }
          count++;
          response.statusCode = fault && count % 10 < 3 ? 500 : 200;
          response.end();
        }),
      );
      await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
      serviceUrl = `http://127.0.0.1:${String((service.address() as AddressInfo).port)}`;
      traffic = setInterval(() => {
        for (let index = 0; index < 5; index++)
          httpRequest(`${serviceUrl}/api/checkout`, (response) => response.resume())
            .on('error', () => undefined)
            .end();
      }, 100);

      const ports = { prometheus: await freePort(), alertmanager: await freePort() };
      alertmanagerUrl = `http://127.0.0.1:${String(ports.alertmanager)}`;
      const model = buildModel({
        profile: 'production',
        target: 'local',
        components: ['prometheus', 'alertmanager'],
        services: [
          {
            service: SERVICE,
            tier: 'application',
            version: '1.0.0',
            address: serviceUrl.slice(7),
            path: '/metrics',
          },
        ],
        ruleFilesGlob: join(dir.path, 'rules', '*.yml'),
        intervalsOverride: { scrapeSeconds: 1, evaluationSeconds: 1 },
        timeScale: 1 / 60,
        ports,
      });
      mkdirSync(join(dir.path, 'rules'));
      writeFileSync(join(dir.path, 'prometheus.yml'), renderPrometheusConfig(model));
      writeFileSync(join(dir.path, 'rules', 'pyairtable.yml'), renderRules(model));
      // Secrets as files, as the deployment mounts them; the Slack "webhook" is the local sink.
      writeFileSync(join(dir.path, 'slack_webhook_url'), `${slack.url}/services/T0/B0/e2e`);
      writeFileSync(join(dir.path, 'pagerduty_service_key'), ROUTING_KEY);
      const channels = resolveChannels({
        [V.criticalEmail]: 'critical@example.com',
        [V.oncallEmail]: 'oncall@example.com',
        [V.smtpSmarthost]: `127.0.0.1:${String(smtpPort)}`,
        [V.smtpFrom]: 'alertmanager@example.com',
        [V.smtpRequireTls]: 'false',
        [V.slackWebhookUrl]: 'https://hooks.slack.com/services/set-by-file',
        [V.pagerdutyServiceKey]: 'set-by-file',
      }).channels;
      writeFileSync(
        join(dir.path, 'alertmanager.yml'),
        renderAlertmanagerConfig(channels, 'production', {
          secretFiles: {
            slackWebhookUrl: join(dir.path, 'slack_webhook_url'),
            pagerdutyServiceKey: join(dir.path, 'pagerduty_service_key'),
          },
          pagerdutyUrl: `${pagerduty.url}/v2/enqueue`,
          timeScale: model.timeScale,
        }).text,
      );

      start(ENGINES.alertmanager.command, [
        `--config.file=${join(dir.path, 'alertmanager.yml')}`,
        `--storage.path=${join(dir.path, 'alertmanager-data')}`,
        `--web.listen-address=127.0.0.1:${String(ports.alertmanager)}`,
        '--cluster.listen-address=',
      ]);
      start(ENGINES.prometheus.command, [
        `--config.file=${join(dir.path, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir.path, 'prometheus-data')}`,
        `--web.listen-address=127.0.0.1:${String(ports.prometheus)}`,
      ]);
      const deadline = Date.now() + 30_000;
      while (
        !(await answers(`http://127.0.0.1:${String(ports.alertmanager)}/-/ready`)) ||
        !(await answers(`http://127.0.0.1:${String(ports.prometheus)}/-/ready`))
      ) {
        if (Date.now() > deadline)
          throw new Error(`Prometheus or Alertmanager did not start:\n${output.join('')}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }, 60_000);

    afterAll(async () => {
      if (traffic !== undefined) clearInterval(traffic);
      for (const child of processes) child.kill('SIGTERM');
      await Promise.all(
        processes.map((child) =>
          child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : Promise.resolve(),
        ),
      );
      await new Promise((resolve) => service.close(resolve));
      await telemetry.shutdown();
      await new Promise((resolve) => slack.server.close(resolve));
      await new Promise((resolve) => pagerduty.server.close(resolve));
      await new Promise<void>((resolve) => {
        smtp.close(() => {
          resolve();
        });
      });
      dir.cleanup();
    });

    const slackMessage = (status: string): Record<string, unknown> | undefined =>
      slack.received
        .map((message) => (message.body['attachments'] as Record<string, unknown>[] | undefined)?.[0])
        .find((attachment) => String(attachment?.['title']).startsWith(`[${status}] HighErrorRate`));
    const pagerdutyEvent = (action: string): Record<string, unknown> | undefined =>
      pagerduty.received.find((event) => event.body['event_action'] === action)?.body;
    const mail = (status: string): { subject: string; text: string } | undefined =>
      mails.find(
        (message) => message.subject.includes(`[${status}`) && message.subject.includes('HighErrorRate'),
      );

    it('delivers the firing HighErrorRate to Slack, e-mail and PagerDuty with the alert, service, severity and summary', async () => {
      const firing = await waitFor('a Slack message for the firing alert', () => slackMessage('FIRING'));
      expect(firing['title']).toBe(`[FIRING] HighErrorRate ${SERVICE} (critical)`);
      expect(String(firing['text'])).toMatch(new RegExp(`^${SERVICE}: \\d+(\\.\\d+)?% of requests fail`));

      const trigger = await waitFor('a PagerDuty trigger', () => pagerdutyEvent('trigger'));
      expect(trigger['routing_key']).toBe(ROUTING_KEY);
      const payload = trigger['payload'] as Record<string, unknown>;
      expect(payload['severity']).toBe('critical');
      expect(String(payload['summary'])).toContain(`HighErrorRate ${SERVICE}: ${SERVICE}:`);

      const email = await waitFor('an e-mail for the firing alert', () => mail('FIRING'));
      expect(email.text).toContain('To: critical@example.com');
      expect(email.text).toContain('of requests fail');
      expect(email.subject).toContain(SERVICE);
    }, 120_000);

    it('sends the resolution to each of them once the fault stops', async () => {
      fault = false;
      const resolved = await waitFor('a Slack message for the resolution', () => slackMessage('RESOLVED'));
      expect(resolved['title']).toBe(`[RESOLVED] HighErrorRate ${SERVICE} (critical)`);
      const resolve = await waitFor('a PagerDuty resolve', () => pagerdutyEvent('resolve'));
      expect(resolve['dedup_key']).toBe(pagerdutyEvent('trigger')?.['dedup_key']);
      await waitFor('an e-mail for the resolution', () => mail('RESOLVED'));
      // Only the critical route: nothing went to on-call's address.
      expect(mails.some((message) => message.text.includes('To: oncall@example.com'))).toBe(false);
    }, 120_000);

    it('inhibits only the same service’s error-rate and latency alerts while it is down', async () => {
      const alert = (alertname: string, service: string, severity: string, category: string): object => ({
        labels: { alertname, service, severity, category },
        annotations: { summary: `${alertname} ${service}` },
        startsAt: new Date().toISOString(),
      });
      const posted = await plainFetch(`${alertmanagerUrl}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([
          alert('ServiceDown', 'cart', 'critical', 'critical'),
          alert('HighErrorRate', 'cart', 'critical', 'critical'),
          alert('HighResponseTime', 'cart', 'warning', 'performance'),
          alert('HighCPUUsage', 'cart', 'warning', 'performance'),
          alert('HighErrorRate', 'search', 'critical', 'critical'),
        ]),
      });
      expect(posted.ok).toBe(true);
      type Listed = { labels: Record<string, string>; status: { inhibitedBy: string[] } };
      const key = (labels: Record<string, string>): string =>
        `${labels['alertname'] ?? ''}/${labels['service'] ?? ''}`;
      const listed = async (): Promise<Record<string, boolean>> => {
        const alerts = (await (await plainFetch(`${alertmanagerUrl}/api/v2/alerts`)).json()) as Listed[];
        return Object.fromEntries(
          alerts.map((entry) => [key(entry.labels), entry.status.inhibitedBy.length > 0]),
        );
      };
      let inhibited: Record<string, boolean> = {};
      const deadline = Date.now() + 10_000;
      while (inhibited['HighErrorRate/cart'] !== true && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        inhibited = await listed();
      }
      expect(inhibited).toMatchObject({
        'ServiceDown/cart': false,
        'HighErrorRate/cart': true,
        'HighResponseTime/cart': true,
        'HighCPUUsage/cart': false,
        'HighErrorRate/search': false,
      });
    }, 30_000);
  },
);

/**
 * TLS and authentication under the real engines: Prometheus, Alertmanager and the node, Redis
 * and PostgreSQL exporters run with the TLS directory `obs certs` makes (certificates, web
 * configs, UI passwords), the Redis exporter's flags and the production render's prometheus.yml. Prometheus scrapes every one over TLS, presenting its own
 * certificate; plain HTTP, a client without a certificate, a certificate from another CA and a
 * request without credentials are each refused.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ENGINES, engineAvailable, freePort, runEngine, tempDir } from '@pyairtable/test-support';
import type { WebConfigComponent } from '@pyairtable/stack';
import {
  CA_CERTIFICATE,
  TLS_DIRECTORY,
  UI_PASSWORDS,
  buildModel,
  certificateFile,
  keyFile,
  prometheusConfig,
  redisExporterTlsFlags,
  webConfigFile,
} from '@pyairtable/stack';
import type { KeyPairPem } from '@pyairtable/stack/tls';
import { createAuthority, issueCertificate, tlsMaterial } from '@pyairtable/stack/tls';

const NEEDED = [
  ENGINES.prometheus,
  ENGINES.promtool,
  ENGINES.alertmanager,
  ENGINES.nodeExporter,
  ENGINES.redisExporter,
  ENGINES.postgresExporter,
];
const PASSWORD = 'ui-Password-for-the-test-1';
const EXPORTERS = ['node-exporter', 'redis-exporter', 'postgres-exporter'] as const;
const SERVERS = ['prometheus', 'alertmanager', ...EXPORTERS] as const;
type Server = (typeof SERVERS)[number];

interface Answer {
  readonly status: number;
  readonly body: string;
}

function get(
  url: string,
  tls: { ca?: string; cert?: string; key?: string; auth?: string } = {},
): Promise<Answer> {
  const secure = url.startsWith('https:');
  return new Promise((resolve, reject) => {
    const options = {
      timeout: 5000,
      ...(tls.auth === undefined ? {} : { auth: tls.auth }),
      ...(secure ? { ca: tls.ca, cert: tls.cert, key: tls.key, agent: false } : {}),
    };
    const request = (secure ? httpsRequest : httpRequest)(url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() });
      });
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end();
  });
}

/**
 * The production Compose render's prometheus.yml with TLS, moved to this host: each component's
 * address becomes its loopback port and the TLS directory this test's. Only these engines' jobs.
 */
function renderedPrometheusConfig(directory: string, ports: Record<Server, number>): string {
  const model = buildModel({
    profile: 'production',
    target: 'compose',
    tls: true,
    components: [...SERVERS],
    intervalsOverride: { scrapeSeconds: 3, evaluationSeconds: 3 },
  });
  let text = JSON.stringify(prometheusConfig(model)).replaceAll(TLS_DIRECTORY, directory);
  for (const server of SERVERS)
    text = text.replaceAll(model.address(server), `localhost:${String(ports[server])}`);
  const config = JSON.parse(text) as { scrape_configs: { job_name: string }[]; rule_files?: string[] };
  config.scrape_configs = config.scrape_configs.filter((job) =>
    (SERVERS as readonly string[]).includes(job.job_name),
  );
  delete config.rule_files;
  return stringify(config);
}

describe.runIf(NEEDED.every(engineAvailable))('TLS and authentication under the real engines', () => {
  const dir = tempDir('tls-engines');
  const processes: ChildProcess[] = [];
  const output: string[] = [];
  const ports = {} as Record<Server, number>;
  let authority: KeyPairPem;
  let rogueClient: KeyPairPem;
  let prometheusClient: KeyPairPem;
  const url = (server: Server, path: string): string => `https://localhost:${String(ports[server])}${path}`;

  const start = (command: string, args: string[], env: NodeJS.ProcessEnv = {}): void => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    processes.push(child);
  };
  const write = (name: string, content: string): string => {
    const path = join(dir.path, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };

  beforeAll(async () => {
    // The TLS directory exactly as obs certs makes it, read from here rather than TLS_DIRECTORY.
    const material = await tlsMaterial({
      existing: {},
      env: { [UI_PASSWORDS.prometheus.variable]: PASSWORD, [UI_PASSWORDS.alertmanager.variable]: PASSWORD },
      namespace: 'observability',
      validDays: 2,
      renewWithinDays: 1,
    });
    mkdirSync(join(dir.path, 'web'));
    for (const file of material) write(file.path, file.content.replaceAll(TLS_DIRECTORY, dir.path));
    const content = (path: string): string => material.find((file) => file.path === path)?.content ?? '';
    authority = { certificatePem: content(CA_CERTIFICATE), privateKeyPem: content('ca.key') };
    prometheusClient = {
      certificatePem: content(certificateFile('prometheus')),
      privateKeyPem: content(keyFile('prometheus')),
    };
    for (const server of SERVERS) ports[server] = await freePort();
    const rogue = await createAuthority('Another CA', 1);
    rogueClient = await issueCertificate(rogue, {
      commonName: 'prometheus',
      dnsNames: ['localhost'],
      validDays: 1,
    });

    const web = (server: WebConfigComponent): string => join(dir.path, webConfigFile(server));
    const listen = (server: Server): string => `127.0.0.1:${String(ports[server])}`;
    start(ENGINES.nodeExporter.command, [
      `--web.listen-address=${listen('node-exporter')}`,
      `--web.config.file=${web('node-exporter')}`,
    ]);
    start(
      ENGINES.postgresExporter.command,
      [
        `--web.listen-address=${listen('postgres-exporter')}`,
        `--web.config.file=${web('postgres-exporter')}`,
      ],
      { DATA_SOURCE_NAME: 'postgresql://nobody@127.0.0.1:1/none?sslmode=disable' },
    );
    start(ENGINES.redisExporter.command, [
      `-web.listen-address=${listen('redis-exporter')}`,
      '-redis.addr=redis://127.0.0.1:1',
      ...redisExporterTlsFlags(dir.path),
    ]);
    const alertmanagerData = join(dir.path, 'alertmanager-data');
    mkdirSync(alertmanagerData);
    start(ENGINES.alertmanager.command, [
      `--config.file=${write('alertmanager.yml', stringify({ route: { receiver: 'none' }, receivers: [{ name: 'none' }] }))}`,
      `--storage.path=${alertmanagerData}`,
      `--web.listen-address=${listen('alertmanager')}`,
      `--web.config.file=${web('alertmanager')}`,
      '--cluster.listen-address=',
    ]);
    start(ENGINES.prometheus.command, [
      `--config.file=${write('prometheus.yml', renderedPrometheusConfig(dir.path, ports))}`,
      `--storage.tsdb.path=${join(dir.path, 'prometheus-data')}`,
      `--web.listen-address=${listen('prometheus')}`,
      `--web.config.file=${web('prometheus')}`,
    ]);
  }, 60_000);

  afterAll(() => {
    for (const child of processes) child.kill('SIGKILL');
    dir.cleanup();
  });

  it('passes promtool check web-config for every web config', () => {
    for (const server of ['prometheus', 'alertmanager', 'node-exporter', 'postgres-exporter'] as const) {
      const result = runEngine(ENGINES.promtool, [
        'check',
        'web-config',
        join(dir.path, webConfigFile(server)),
      ]);
      expect(result.stdout + result.stderr, server).toContain('SUCCESS');
    }
  });

  it('has Prometheus scrape every engine over TLS: up == 1 for each job', async () => {
    const ca = authority.certificatePem;
    const deadline = Date.now() + 45_000;
    let up: Record<string, string> = {};
    while (Date.now() < deadline) {
      try {
        const answer = await get(url('prometheus', '/api/v1/query?query=up'), {
          ca,
          auth: `admin:${PASSWORD}`,
        });
        const result = (
          JSON.parse(answer.body) as {
            data: { result: { metric: { job: string }; value: [number, string] }[] };
          }
        ).data.result;
        up = Object.fromEntries(result.map((sample) => [sample.metric.job, sample.value[1]]));
        if (SERVERS.every((server) => up[server] === '1')) break;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const targets = await get(url('prometheus', '/api/v1/targets'), { ca, auth: `admin:${PASSWORD}` }).catch(
      () => ({ body: '' }),
    );
    const errors = [...targets.body.matchAll(/"lastError":"((?:[^"\\]|\\.)+)"/g)].map((match) => match[1]);
    expect(up, `${JSON.stringify(up)} ${errors.join('; ')}`).toEqual(
      Object.fromEntries(SERVERS.map((server) => [server, '1'])),
    );
  }, 60_000);

  it("sends alerts to Alertmanager over TLS, with the UI's login", async () => {
    const answer = await get(url('prometheus', '/api/v1/alertmanagers'), {
      ca: authority.certificatePem,
      auth: `admin:${PASSWORD}`,
    });
    const active = (JSON.parse(answer.body) as { data: { activeAlertmanagers: { url: string }[] } }).data
      .activeAlertmanagers;
    expect(active.map((alertmanager) => alertmanager.url)).toEqual([
      `https://localhost:${String(ports.alertmanager)}/api/v2/alerts`,
    ]);
  });

  it('refuses plain HTTP on every listener', async () => {
    for (const server of SERVERS) {
      const answer = await get(`http://127.0.0.1:${String(ports[server])}/metrics`).catch(
        (error: unknown) => ({
          status: 0,
          body: String(error),
        }),
      );
      expect(answer.status, server).not.toBe(200);
      expect(answer.body, server).not.toMatch(/^# HELP/m);
    }
  });

  it('refuses an exporter client without a certificate, and one whose certificate comes from another CA', async () => {
    const ca = authority.certificatePem;
    for (const server of EXPORTERS) {
      const own = await get(url(server, '/metrics'), {
        ca,
        cert: prometheusClient.certificatePem,
        key: prometheusClient.privateKeyPem,
      });
      expect(own.status, `${server} with our certificate`).toBe(200);
      await expect(get(url(server, '/metrics'), { ca }), `${server} without a certificate`).rejects.toThrow();
      await expect(
        get(url(server, '/metrics'), {
          ca,
          cert: rogueClient.certificatePem,
          key: rogueClient.privateKeyPem,
        }),
        `${server} with another CA's certificate`,
      ).rejects.toThrow();
    }
  });

  it('asks the UIs for credentials, and accepts only the right ones', async () => {
    const ca = authority.certificatePem;
    for (const server of ['prometheus', 'alertmanager'] as const) {
      const path = server === 'prometheus' ? '/api/v1/status/buildinfo' : '/api/v2/status';
      expect((await get(url(server, path), { ca })).status, `${server} without credentials`).toBe(401);
      expect(
        (await get(url(server, path), { ca, auth: 'admin:wrong-password' })).status,
        `${server} wrong password`,
      ).toBe(401);
      expect(
        (await get(url(server, path), { ca, auth: `admin:${PASSWORD}` })).status,
        `${server} right password`,
      ).toBe(200);
    }
  });

  it('is not trusted by a client that does not know our CA', async () => {
    const rogue = await createAuthority('Client trust store without ours', 1);
    await expect(
      get(url('prometheus', '/-/healthy'), { ca: rogue.certificatePem, auth: `admin:${PASSWORD}` }),
    ).rejects.toThrow(/self-signed|unable to verify|certificate/i);
  });
});

/**
 * TLS and authentication under the real engines: Prometheus, Alertmanager and the node, Redis
 * and PostgreSQL exporters run with the web configs and flags we render, certificates from a
 * CA made by `@pyairtable/stack/tls`. Prometheus scrapes every one over TLS, presenting its own
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
import {
  CA_CERTIFICATE,
  bcryptHash,
  certificateFile,
  clientTls,
  keyFile,
  redisExporterTlsFlags,
  webConfig,
} from '@pyairtable/stack';
import type { KeyPairPem } from '@pyairtable/stack/tls';
import { createAuthority, issueCertificate } from '@pyairtable/stack/tls';

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
    authority = await createAuthority('PyAirtable test CA', 1);
    write(CA_CERTIFICATE, authority.certificatePem);
    for (const server of SERVERS) {
      const issued = await issueCertificate(authority, {
        commonName: server,
        dnsNames: ['localhost', server],
        ipAddresses: ['127.0.0.1'],
        validDays: 1,
      });
      if (server === 'prometheus') prometheusClient = issued;
      write(certificateFile(server), issued.certificatePem);
      write(keyFile(server), issued.privateKeyPem);
      ports[server] = await freePort();
    }
    const rogue = await createAuthority('Another CA', 1);
    rogueClient = await issueCertificate(rogue, {
      commonName: 'prometheus',
      dnsNames: ['localhost'],
      validDays: 1,
    });

    const users = { admin: bcryptHash(PASSWORD) };
    const web = (server: Server): string =>
      write(
        `${server}-web.yml`,
        stringify(
          webConfig(server, {
            directory: dir.path,
            requireClientCertificates: (EXPORTERS as readonly string[]).includes(server),
            ...(server === 'prometheus' || server === 'alertmanager' ? { users } : {}),
          }),
        ),
      );
    const listen = (server: Server): string => `127.0.0.1:${String(ports[server])}`;
    const passwordFile = write('ui-password', PASSWORD);

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
      {
        DATA_SOURCE_NAME: 'postgresql://nobody@127.0.0.1:1/none?sslmode=disable',
      },
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
    const scrape = (server: Server): object => ({
      job_name: server,
      scheme: 'https',
      static_configs: [{ targets: [`localhost:${String(ports[server])}`] }],
      ...((EXPORTERS as readonly string[]).includes(server)
        ? { tls_config: clientTls('prometheus', dir.path) }
        : {
            tls_config: { ca_file: join(dir.path, CA_CERTIFICATE) },
            basic_auth: { username: 'admin', password_file: passwordFile },
          }),
    });
    start(ENGINES.prometheus.command, [
      `--config.file=${write('prometheus.yml', stringify({ global: { scrape_interval: '3s', scrape_timeout: '3s' }, scrape_configs: SERVERS.map(scrape) }))}`,
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
        join(dir.path, `${server}-web.yml`),
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

/**
 * The Elasticsearch setup script run for real (bash and curl) against a loopback stand-in for
 * Elasticsearch and Kibana that records every request: what it creates, in which order, with
 * which credentials and bodies, and how it fails.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_CATEGORIES } from '@pyairtable/conventions';
import { ENGINES, engineAvailable, tempDir } from '@pyairtable/test-support';
import {
  ELASTIC_SERVICE_USERS,
  STACK_SECRETS,
  TRACES_ILM_POLICY,
  elasticsearchRoles,
  logDataStream,
} from '@pyairtable/stack';
import { RENDERS } from './render-fixture.js';

interface Recorded {
  method: string;
  path: string;
  authorization: string | undefined;
  xsrf: string | undefined;
  body: string;
}

const PASSWORDS = { elastic: 'elastic-pw-0123456789', kibana: 'kibana-pw-0123456789' };
const ready = engineAvailable(ENGINES.bash) && engineAvailable(ENGINES.curl);

describe.runIf(ready)('elastic-setup/setup.sh against a recording Elasticsearch and Kibana', () => {
  const requests: Recorded[] = [];
  /** Paths answered with this status instead of 200. */
  const failures = new Map<string, number>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      requests.push({
        method: request.method ?? '',
        path,
        authorization: request.headers.authorization,
        xsrf: request.headers['kbn-xsrf'] as string | undefined,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const status = [...failures].find(([prefix]) => path.startsWith(prefix))?.[1] ?? 200;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(status === 200 ? '{"acknowledged":true}' : '{"error":"refused by the test"}');
    });
  });
  const dir = tempDir('setup-script');
  let url = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
    // The render's elastic-setup directory, and the secrets where Compose would mount them.
    for (const file of RENDERS.production.render.files.filter((candidate) =>
      candidate.path.startsWith('elastic-setup/'),
    )) {
      const target = join(dir.path, file.path);
      mkdirSync(join(target, '..'), { recursive: true });
      writeFileSync(target, file.content);
    }
    mkdirSync(join(dir.path, 'secrets'));
    writeFileSync(
      join(dir.path, 'secrets', STACK_SECRETS.elasticPassword.secretName),
      `${PASSWORDS.elastic}\n`,
    );
    writeFileSync(join(dir.path, 'secrets', STACK_SECRETS.kibanaSystemPassword.secretName), PASSWORDS.kibana);
    for (const user of Object.values(ELASTIC_SERVICE_USERS))
      writeFileSync(join(dir.path, 'secrets', user.secret.secretName), `${user.username}-pw-0123456789\n`);
  });
  afterAll(() => {
    server.close();
    dir.cleanup();
  });

  const run = (mode: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn('bash', [join(dir.path, 'elastic-setup/setup.sh'), mode], {
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          ES_URL: url,
          KIBANA_URL: url,
          SECRETS_DIR: join(dir.path, 'secrets'),
          SETUP_WAIT_SECONDS: '5',
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  const basic = (user: string, password: string): string =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('creates every ILM policy, then every index template, the roles and users, then sets the kibana_system password', async () => {
    requests.length = 0;
    const result = await run('elasticsearch');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const request of requests) expect(request.authorization).toBe(basic('elastic', PASSWORDS.elastic));
    const writes = requests.filter((request) => request.method !== 'GET');
    const policies = [...LOG_CATEGORIES.map(logDataStream), TRACES_ILM_POLICY].sort();
    const templates = [...LOG_CATEGORIES.map(logDataStream)].sort();
    const roles = Object.keys(elasticsearchRoles()).sort();
    const users = Object.values(ELASTIC_SERVICE_USERS);
    expect(writes.map((request) => `${request.method} ${request.path}`)).toEqual([
      ...policies.map((name) => `PUT /_ilm/policy/${name}`),
      ...templates.map((name) => `PUT /_index_template/${name}`),
      ...roles.map((name) => `PUT /_security/role/${name}`),
      ...users.map((user) => `POST /_security/user/${user.username}`),
      'POST /_security/user/kibana_system/_password',
    ]);
    // Each user gets its password from its own secret file, and its one role.
    for (const user of users) {
      const request = writes.find((candidate) => candidate.path === `/_security/user/${user.username}`);
      expect(JSON.parse(request?.body ?? '')).toEqual({
        password: `${user.username}-pw-0123456789`,
        roles: [user.role],
      });
    }
    for (const role of roles)
      expect(
        JSON.parse(writes.find((request) => request.path === `/_security/role/${role}`)?.body ?? ''),
      ).toEqual(elasticsearchRoles()[role]);
    // Bodies are the rendered files, byte for byte; the password body carries the secret file's value.
    for (const request of writes.slice(0, policies.length))
      expect(request.body).toBe(
        readFileSync(
          join(dir.path, 'elastic-setup/ilm', `${request.path.split('/').pop() ?? ''}.json`),
          'utf8',
        ),
      );
    expect(JSON.parse(writes[writes.length - 1]?.body ?? '')).toEqual({ password: PASSWORDS.kibana });
  });

  it('stops at the first refused request, naming it and the status', async () => {
    requests.length = 0;
    failures.set(`/_index_template/${logDataStream('audit')}`, 400);
    try {
      const result = await run('elasticsearch');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `PUT ${url}/_index_template/${logDataStream('audit')} answered HTTP 400`,
      );
      expect(requests.some((request) => request.path.includes('kibana_system'))).toBe(false);
    } finally {
      failures.clear();
    }
  });

  it('creates the Kibana data views with Kibana’s XSRF header', async () => {
    requests.length = 0;
    const result = await run('kibana');
    expect(result.code).toBe(0);
    const views = requests.filter((request) => request.method === 'POST');
    expect(views).toHaveLength(LOG_CATEGORIES.length + 1);
    for (const view of views) {
      expect(view.path).toBe('/api/data_views/data_view');
      expect(view.xsrf).toBeDefined();
    }
  });

  it('puts the trace policy on Jaeger’s indices', async () => {
    requests.length = 0;
    const result = await run('trace-retention-once');
    expect(result.code).toBe(0);
    expect(requests).toEqual([
      expect.objectContaining({
        method: 'PUT',
        path: '/pyairtable-jaeger-*/_settings?allow_no_indices=true',
        body: readFileSync(join(dir.path, 'elastic-setup/trace-indices-settings.json'), 'utf8'),
      }),
    ]);
  });

  it('gives up waiting for an Elasticsearch that never answers, saying so', async () => {
    failures.set('/_cluster/health', 503);
    try {
      const result = await run('elasticsearch');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Elasticsearch did not answer within 5 s');
    } finally {
      failures.clear();
    }
  }, 20_000);
});

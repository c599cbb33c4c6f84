/**
 * Kubernetes mode's orchestration. No cluster, Helm or current kubectl runs here, so `helm` and
 * `kubectl` are scripts on a PATH of their own that record what they are asked, where, and what
 * reaches their standard input; the deployment they are handed is the real render.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '@pyairtable/test-support';
import {
  HELM_CHARTS,
  renderKubernetesStack,
  requiredTlsFiles,
  stepCommand,
  tlsVariable,
} from '@pyairtable/stack';
import { EXIT_CODES } from '@pyairtable/cli';
import { obs } from './obs-process.js';

const dir = tempDir('obs-kubernetes');
const bin = join(dir.path, 'bin');
const calls = join(dir.path, 'calls.log');
const stdin = join(dir.path, 'stdin.log');
const PASSWORD = 'grafana-admin-Password-42';

/** `helm` and `kubectl` that log `program args @ cwd`, keep stdin, and fail when asked to. */
function fakeTools(programs: readonly string[], failOn = ''): NodeJS.ProcessEnv {
  rmSync(bin, { recursive: true, force: true });
  mkdirSync(bin, { recursive: true });
  for (const program of programs) {
    writeFileSync(
      join(bin, program),
      `#!/bin/sh
case "$1" in version) echo "${program} v0.0.0-test"; exit 0 ;; esac
echo "${program} $* @ $(pwd)" >> "${calls}"
case "$*" in "apply -f -") /bin/cat >> "${stdin}"; echo >> "${stdin}" ;; esac
if [ -n "${failOn}" ]; then case "${program} $*" in *"${failOn}"*) echo "Error: ${program} refused" >&2; exit 1 ;; esac; fi
exit 0
`,
    );
    chmodSync(join(bin, program), 0o755);
  }
  return {
    PATH: bin,
    GRAFANA_ADMIN_PASSWORD: PASSWORD,
    LOGSTASH_ES_PASSWORD: 'logstash-Password-43',
    JAEGER_ES_PASSWORD: 'jaeger-Password-44',
    GRAFANA_ES_PASSWORD: 'grafana-es-Password-45',
    SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/slack-value-7',
    GRAFANA_SSO_PROVIDER: 'github',
    GRAFANA_SSO_CLIENT_ID: 'Iv1.client',
    GRAFANA_SSO_CLIENT_SECRET: SSO_SECRET,
    GRAFANA_SSO_ALLOWED_ORGANIZATIONS: 'pyairtable',
    ...Object.fromEntries(requiredTlsFiles().map((file) => [tlsVariable(file), `tls-${file}-content-77`])),
  };
}
const SSO_SECRET = 'sso-Client-Secret-61';

const log = (): string[] => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : []);

beforeEach(() => {
  rmSync(calls, { force: true });
  rmSync(stdin, { force: true });
});
afterAll(() => {
  dir.cleanup();
});

describe('obs up --mode kubernetes', () => {
  it('installs operators, Secrets and the stack in order, from the render directory', async () => {
    const env = fakeTools(['helm', 'kubectl']);
    const dataDir = join(dir.path, 'prod');
    const up = await obs(
      ['up', '--mode', 'kubernetes', '--profile', 'production', '--data-dir', dataDir],
      env,
    );
    expect(up.code, up.output).toBe(0);
    const directory = join(dataDir, 'kubernetes');
    expect(existsSync(join(directory, 'values', 'kube-prometheus-stack.yaml'))).toBe(true);

    const expected = renderKubernetesStack({ profile: 'production', env }).steps.map((step) =>
      step.kind === 'command'
        ? `${step.program} ${step.args.join(' ')} @ ${directory}`
        : `kubectl apply -f - @ ${directory}`,
    );
    expect(log()).toEqual(expected);
    expect(log().join('\n')).toContain(
      `kube-prometheus-stack --version ${HELM_CHARTS.kubePrometheusStack.version}`,
    );

    // Secrets went to kubectl on stdin, and nowhere else.
    const secrets = readFileSync(stdin, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { metadata: { name: string }; stringData: Record<string, string> });
    const grafana = secrets.find((secret) => secret.metadata.name === 'pyairtable-grafana-admin');
    expect(grafana?.stringData).toEqual({ 'admin-user': 'admin', 'admin-password': PASSWORD });
    expect(
      secrets.find((secret) => secret.metadata.name === 'pyairtable-alertmanager-channels')?.stringData,
    ).toEqual({
      slack_webhook_url: env['SLACK_WEBHOOK_URL'],
    });
    const logstash = secrets.find((secret) => secret.metadata.name === 'pyairtable-logstash-user') as
      { type: string; stringData: Record<string, string> } | undefined;
    expect(logstash?.type).toBe('kubernetes.io/basic-auth');
    expect(logstash?.stringData['password']).toBe(env['LOGSTASH_ES_PASSWORD']);
    for (const [client, variable] of [
      ['jaeger', 'JAEGER_ES_PASSWORD'],
      ['grafana', 'GRAFANA_ES_PASSWORD'],
    ] as const)
      expect(
        secrets.find((secret) => secret.metadata.name === `pyairtable-${client}-user`)?.stringData,
      ).toMatchObject({ username: `pyairtable-${client}`, password: env[variable] });
    for (const variable of ['LOGSTASH_ES_PASSWORD', 'JAEGER_ES_PASSWORD', 'GRAFANA_ES_PASSWORD'])
      expect(log().join('\n')).not.toContain(env[variable]);
    // Optional exporter credentials: none set, so an empty Secret rather than empty passwords.
    expect(
      secrets.find((secret) => secret.metadata.name === 'pyairtable-exporter-credentials')?.stringData,
    ).toEqual({});
    expect(secrets.find((secret) => secret.metadata.name === 'pyairtable-grafana-sso')?.stringData).toEqual({
      'client-secret': SSO_SECRET,
    });
    for (const secret of [PASSWORD, SSO_SECRET]) {
      expect(log().join('\n')).not.toContain(secret);
      expect(up.output).not.toContain(secret);
    }
  });

  it('prints the steps instead where helm is not installed', async () => {
    const env = fakeTools(['kubectl']);
    const up = await obs(['up', '--mode', 'kubernetes', '--data-dir', join(dir.path, 'print')], env);
    expect(up.code, up.output).toBe(0);
    expect(up.output).toContain('helm not found on PATH');
    for (const step of renderKubernetesStack({ profile: 'development', env }).steps)
      expect(up.output).toContain(stepCommand(step));
    expect(log()).toEqual([]);
  });

  it('stops at the step that fails, naming it, and runs nothing after it', async () => {
    const env = fakeTools(['helm', 'kubectl'], 'kube-prometheus-stack --version');
    const up = await obs(['up', '--mode', 'kubernetes', '--data-dir', join(dir.path, 'fail')], env);
    expect(up.code).toBe(EXIT_CODES.unhealthy);
    expect(up.output).toContain('helm failed at "Prometheus, Alertmanager, Grafana');
    expect(up.output).toContain('Error: helm refused');
    expect(log().at(-1)).toContain('kube-prometheus-stack');
    expect(log().join('\n')).not.toContain('--recursive -f manifests/');
  });

  it('refuses production without the Grafana admin password, naming it, before touching the cluster', async () => {
    const env = { ...fakeTools(['helm', 'kubectl']), GRAFANA_ADMIN_PASSWORD: '' };
    const up = await obs(
      ['up', '--mode', 'kubernetes', '--profile', 'production', '--data-dir', join(dir.path, 'nopw')],
      env,
    );
    expect(up.code).toBe(EXIT_CODES.configuration);
    expect(up.output).toContain('GRAFANA_ADMIN_PASSWORD is not set');
    expect(log()).toEqual([]);
  });
});

describe('obs render --target kubernetes', () => {
  it('refuses options of the other target, naming them', async () => {
    const run = await obs(
      ['render', '--target', 'kubernetes', '--out', join(dir.path, 'x'), '--network', 'n'],
      {},
    );
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.output).toContain('--network applies to the other target, not --target kubernetes.');
    const compose = await obs(['render', '--target', 'compose', '--out', join(dir.path, 'y'), '--istio'], {});
    expect(compose.output).toContain('--istio applies to the other target, not --target compose.');
  });

  it('writes the render with --istio and a namespace of its own', async () => {
    const out = join(dir.path, 'render');
    const run = await obs(
      ['render', '--target', 'kubernetes', '--out', out, '--istio', '--namespace', 'telemetry'],
      {},
    );
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('obs up --mode kubernetes');
    expect(readFileSync(join(out, 'manifests', '61-istio.yaml'), 'utf8')).toContain('mode: STRICT');
    expect(readFileSync(join(out, 'manifests', '30-collector.yaml'), 'utf8')).toContain(
      'service: otel-gateway.telemetry',
    );
    expect(existsSync(join(out, '.env'))).toBe(true);
  });
});

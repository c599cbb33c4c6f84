/**
 * Kubernetes mode: `obs up --mode kubernetes` renders the deployment into the data directory (as
 * `obs render --target kubernetes` does) and runs its install steps, in order, with the `helm`
 * and `kubectl` on PATH against the current context. Without them it prints the steps to run.
 * A Secret reaches `kubectl apply` on standard input, built from the environment: its values
 * are on no command line and in no file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Environment } from '@pyairtable/conventions';
import type { InstallStep } from '@pyairtable/stack';
import {
  HELM_CHARTS,
  DEFAULT_NAMESPACE,
  parseDotEnv,
  renderKubernetesStack,
  stepCommand,
} from '@pyairtable/stack';
import { readTlsEnv } from '../commands/render.js';
import { StartError } from '../errors.js';
import type { RenderSecurity } from './render-security.js';
import { NO_SECURITY_OPTIONS, securityArgs } from './render-security.js';
import type { CliIo } from '../io.js';

const STEP_TIMEOUT_MS = 20 * 60 * 1000;
type Env = Readonly<Record<string, string | undefined>>;

function installed(program: string, env: Env): boolean {
  const probe = spawnSync(program, program === 'helm' ? ['version', '--short'] : ['version', '--client'], {
    encoding: 'utf8',
    timeout: 15_000,
    env: { ...env },
  });
  return probe.status === 0;
}

/** The Secret a step creates, from the environment; a required variable that is unset stops the install. */
function secretDocument(step: Extract<InstallStep, { kind: 'secret' }>, env: Env): string {
  const stringData: Record<string, string> = {};
  for (const entry of step.entries) {
    const value = entry.variable === undefined ? entry.value : env[entry.variable];
    if (value === undefined || value === '') {
      if (step.optionalEntries) continue;
      throw new StartError(
        `${entry.variable ?? entry.key} is not set: the Secret ${step.name} (${step.why}) needs it. Export it and run obs up again.`,
      );
    }
    stringData[entry.key] = value;
  }
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    type: step.type ?? 'Opaque',
    metadata: { name: step.name, namespace: step.namespace },
    stringData,
  });
}

function run(step: InstallStep, directory: string, env: Env, io: CliIo): void {
  const [program, args, input] =
    step.kind === 'command'
      ? [step.program, [...step.args], undefined]
      : ['kubectl', ['apply', '-f', '-'], secretDocument(step, env)];
  io.stderr(`obs up: ${step.why}: ${step.kind === 'command' ? stepCommand(step) : `Secret ${step.name}`}`);
  const result = spawnSync(program, args, {
    cwd: directory,
    encoding: 'utf8',
    timeout: STEP_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...env },
    ...(input === undefined ? {} : { input }),
  });
  const output = `${result.stdout}${result.stderr}`.trim();
  for (const line of output.split('\n').filter(Boolean)) io.stderr(`${program}: ${line}`);
  if (result.status !== 0)
    throw new StartError(
      `${program} failed at "${step.why}" (exit ${String(result.status)}). Fix the cause above and run obs up --mode kubernetes again: every step is idempotent.`,
    );
}

export async function kubernetesUp(
  dataDir: string,
  profile: string,
  io: CliIo,
  render: (args: readonly string[], io: CliIo) => number | Promise<number>,
  security: RenderSecurity = NO_SECURITY_OPTIONS,
): Promise<number> {
  const directory = join(dataDir, 'kubernetes');
  io.stderr(`obs up: rendering the ${profile} Kubernetes deployment into ${directory}`);
  const rendered = await render(
    ['--target', 'kubernetes', '--profile', profile, '--out', directory, ...securityArgs(security)],
    io,
  );
  if (rendered !== 0) return rendered;
  const dotEnv = join(directory, '.env');
  const kept = existsSync(dotEnv) ? parseDotEnv(readFileSync(dotEnv, 'utf8')) : {};
  // The TLS files of --tls-dir reach the TLS Secret as the variables obs certs --print-env sets.
  const tlsEnv = security.tlsDir === undefined ? {} : readTlsEnv(resolve(io.cwd, security.tlsDir));
  const env: Env = { ...kept, ...tlsEnv, ...io.env };
  const { steps } = renderKubernetesStack({
    profile: profile as Environment,
    env,
    existingSecrets: kept,
    ...(security.tlsDir === undefined ? {} : { tls: true }),
    insecureNoTls: security.insecureNoTls,
    noSso: security.noSso,
  });
  const missing = ['helm', 'kubectl'].filter((program) => !installed(program, io.env));
  if (missing.length > 0) {
    io.stdout(
      `\n${missing.join(' and ')} not found on PATH: install ${missing.length > 1 ? 'them' : 'it'}, or run these from ${directory}:\n`,
    );
    for (const step of steps) io.stdout(`# ${step.why}\n${stepCommand(step)}\n`);
    return 0;
  }
  for (const step of steps) run(step, directory, env, io);
  io.stdout(`\nPyAirtable observability installed in namespace ${DEFAULT_NAMESPACE} (profile ${profile}).`);
  io.stdout(`Reach the UIs with kubectl port-forward (commands in ${join(directory, 'README.md')}).`);
  io.stdout(
    `It keeps running in the cluster; remove it with: kubectl delete --recursive -f ${join(directory, 'manifests')} && helm uninstall ${HELM_CHARTS.kubePrometheusStack.release} --namespace ${DEFAULT_NAMESPACE}`,
  );
  return 0;
}

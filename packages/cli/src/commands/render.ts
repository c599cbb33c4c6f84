/**
 * obs render --target compose|kubernetes --profile <profile> --out <dir>
 *
 * Writes a complete deployment. Channels and the presence of secrets are read from the
 * environment (and from --env-file, for values kept in a file); secret values are never
 * written, except development's generated passwords, which go to <dir>/.env (mode 0600) once
 * and are reused by later renders.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Environment } from '@pyairtable/conventions';
import { ENVIRONMENTS } from '@pyairtable/conventions';
import {
  CA_CERTIFICATE,
  requiredTlsFiles,
  tlsVariable,
  COMPOSE_FILE,
  DEFAULT_APPLICATION_NAMESPACE,
  DEFAULT_COMPOSE_OPTIONS,
  DEFAULT_EXPORTER_TARGETS,
  DEFAULT_GRAFANA_URL,
  DEFAULT_NAMESPACE,
  DEFAULT_RUNBOOK_BASE_URL,
  parseDotEnv,
  renderComposeStack,
  renderKubernetesStack,
  writeRenderedFiles,
} from '@pyairtable/stack';
import type { StackRender } from '@pyairtable/stack';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';

export const RENDER_TARGETS = ['compose', 'kubernetes'] as const;
const COMPOSE_ONLY = ['network', 'publish-address'] as const;
const KUBERNETES_ONLY = ['namespace', 'app-namespace', 'istio', 'storage-class'] as const;

export const RENDER_HELP = `Usage: obs render --target compose|kubernetes --profile <profile> --out <dir> [options]

Writes every file the observability stack's engines load, rendered from one model: a Compose
project, or chart values and manifests for Kubernetes (kube-prometheus-stack, Elastic's operator).

Options:
  --target <target>         compose | kubernetes (required)
  --profile <profile>       ${ENVIRONMENTS.join(' | ')} (default: development)
  --out <dir>               output directory: new, empty, or an earlier render (required)
  --env-file <file>         read variables from a KEY=value file too (the environment wins)
  --redis <url>             Redis the exporter watches (compose: ${DEFAULT_COMPOSE_OPTIONS.redisAddress};
                            kubernetes: ${DEFAULT_EXPORTER_TARGETS.redisAddress})
  --postgres <host/db>      PostgreSQL the exporter watches (compose: ${DEFAULT_COMPOSE_OPTIONS.postgresAddress};
                            kubernetes: ${DEFAULT_EXPORTER_TARGETS.postgresAddress})
  --runbook-base-url <url>  where alert annotations link runbooks (default: ${DEFAULT_RUNBOOK_BASE_URL})
  --grafana-url <url>       Grafana as people open it; alerts link its panels (default: ${DEFAULT_GRAFANA_URL})
  --tls-dir <dir>           the TLS directory obs certs made: TLS on every hop between the stack's
                            parts (staging and production need it, or its files as the PYAIRTABLE_TLS_*
                            variables of obs certs --print-env; development gets TLS only when given)
  --insecure-no-tls         render staging or production without TLS, with a warning
  --no-sso                  render production without single sign-on for Grafana, with a warning
  -h, --help                this help

Compose only:
  --network <name>          PyAirtable application network to join (default: ${DEFAULT_COMPOSE_OPTIONS.applicationNetwork})
  --publish-address <addr>  host address the UIs are published on (default: ${DEFAULT_COMPOSE_OPTIONS.publishAddress})

Kubernetes only:
  --namespace <name>        namespace of the stack (default: ${DEFAULT_NAMESPACE})
  --app-namespace <name>    namespace of the PyAirtable services (default: ${DEFAULT_APPLICATION_NAMESPACE})
  --istio                   STRICT mTLS and mesh tracing into the collector (Istio installed)
  --storage-class <name>    storage class of every volume (default: the cluster's)

Environment:
  GRAFANA_ADMIN_PASSWORD, LOGSTASH_ES_PASSWORD, JAEGER_ES_PASSWORD, GRAFANA_ES_PASSWORD (the last
  three are each Elasticsearch client's own user), ELASTIC_PASSWORD, KIBANA_SYSTEM_PASSWORD
  (compose; in kubernetes Elastic's operator keeps these two)
      required for staging and production; development generates missing ones into <dir>/.env
  GRAFANA_SSO_PROVIDER (github | oidc), GRAFANA_SSO_CLIENT_ID, GRAFANA_SSO_CLIENT_SECRET,
  GRAFANA_SSO_ALLOWED_ORGANIZATIONS (github) or GRAFANA_SSO_ALLOWED_GROUPS and GRAFANA_SSO_AUTH_URL,
  GRAFANA_SSO_TOKEN_URL, GRAFANA_SSO_API_URL (oidc), GRAFANA_SSO_ADMIN_GROUP, GRAFANA_SSO_EDITOR_GROUP
      single sign-on for Grafana (required for production)
  CRITICAL_EMAIL, ONCALL_EMAIL, SECURITY_EMAIL, FINOPS_EMAIL, SMTP_SMARTHOST, SMTP_FROM,
  SMTP_AUTH_USERNAME, SMTP_AUTH_PASSWORD, SLACK_WEBHOOK_URL, PAGERDUTY_SERVICE_KEY
      alert channels; an unset one is left out with a warning
`;

/** The TLS directory's files as the variables Compose reads them from (`obs certs --print-env`). */
export function readTlsEnv(directory: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const file of requiredTlsFiles()) {
    const path = join(directory, file);
    if (existsSync(path)) env[tlsVariable(file)] = readFileSync(path, 'utf8');
  }
  return env;
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function renderCommand(args: readonly string[], io: CliIo): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        target: { type: 'string' },
        profile: { type: 'string', default: 'development' },
        out: { type: 'string' },
        'env-file': { type: 'string' },
        network: { type: 'string' },
        'publish-address': { type: 'string' },
        redis: { type: 'string' },
        postgres: { type: 'string' },
        'runbook-base-url': { type: 'string' },
        'grafana-url': { type: 'string' },
        namespace: { type: 'string' },
        'app-namespace': { type: 'string' },
        istio: { type: 'boolean' },
        'storage-class': { type: 'string' },
        'tls-dir': { type: 'string' },
        'insecure-no-tls': { type: 'boolean' },
        'no-sso': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${RENDER_HELP}`);
  }
  if (values.help === true) {
    io.stdout(RENDER_HELP);
    return 0;
  }

  const problems: string[] = [];
  const target = values.target;
  if (target === undefined)
    problems.push('--target is required: use --target compose or --target kubernetes.');
  else if (!(RENDER_TARGETS as readonly string[]).includes(target))
    problems.push(`--target "${target}" is unknown; use --target compose or --target kubernetes.`);
  const misplaced = (
    target === 'kubernetes' ? COMPOSE_ONLY : target === 'compose' ? KUBERNETES_ONLY : []
  ).filter((option) => values[option] !== undefined);
  for (const option of misplaced)
    problems.push(`--${option} applies to the other target, not --target ${target ?? ''}.`);
  const profile = values.profile;
  if (!(ENVIRONMENTS as readonly string[]).includes(profile))
    problems.push(`--profile "${profile}" is unknown; use one of ${ENVIRONMENTS.join(', ')}.`);
  if (values.out === undefined || values.out === '') problems.push('--out <dir> is required.');
  if (values['publish-address'] !== undefined && !IPV4.test(values['publish-address']))
    problems.push(
      `--publish-address "${values['publish-address']}" is not an IPv4 address (e.g. 127.0.0.1).`,
    );
  if (values.network !== undefined && !NETWORK_NAME.test(values.network))
    problems.push(`--network "${values.network}" is not a Docker network name.`);
  if (values['grafana-url'] !== undefined && !/^https?:\/\/[^/\s]+/.test(values['grafana-url']))
    problems.push(
      `--grafana-url "${values['grafana-url']}" is not an http(s) URL (e.g. https://grafana.example.com).`,
    );
  if (values['tls-dir'] !== undefined && values['insecure-no-tls'] === true)
    problems.push('--tls-dir and --insecure-no-tls contradict each other: give one.');
  const tlsDirectory = values['tls-dir'] === undefined ? undefined : resolve(io.cwd, values['tls-dir']);
  if (tlsDirectory !== undefined && !existsSync(join(tlsDirectory, CA_CERTIFICATE)))
    problems.push(
      `--tls-dir ${tlsDirectory} holds no ${CA_CERTIFICATE}: make it with obs certs --out ${tlsDirectory}.`,
    );
  if (problems.length > 0) throw new UsageError(`${problems.join('\n')}\n\nSee obs render --help.`);

  const out = resolve(io.cwd, values.out ?? '');
  let fileEnv: Record<string, string> = {};
  if (values['env-file'] !== undefined) {
    const path = resolve(io.cwd, values['env-file']);
    if (!existsSync(path)) throw new UsageError(`--env-file ${path} does not exist.`);
    fileEnv = parseDotEnv(readFileSync(path, 'utf8'));
  }
  const dotEnvPath = join(out, '.env');
  const kept = existsSync(dotEnvPath) ? parseDotEnv(readFileSync(dotEnvPath, 'utf8')) : {};

  // The TLS files' presence is what the render checks; their content never reaches a file.
  const env = { ...fileEnv, ...(tlsDirectory === undefined ? {} : readTlsEnv(tlsDirectory)), ...io.env };
  const model = {
    ...(values['runbook-base-url'] === undefined
      ? {}
      : { runbookBaseUrl: values['runbook-base-url'].replace(/\/+$/, '') }),
    ...(values['grafana-url'] === undefined ? {} : { grafanaUrl: values['grafana-url'].replace(/\/+$/, '') }),
  };
  const exporters = {
    ...(values.redis === undefined ? {} : { redisAddress: values.redis }),
    ...(values.postgres === undefined ? {} : { postgresAddress: values.postgres }),
  };
  const render: StackRender =
    target === 'kubernetes'
      ? renderKubernetesStack({
          profile: profile as Environment,
          env,
          existingSecrets: kept,
          model,
          ...exporters,
          ...(values.namespace === undefined ? {} : { namespace: values.namespace }),
          ...(values['app-namespace'] === undefined ? {} : { applicationNamespace: values['app-namespace'] }),
          ...(values['storage-class'] === undefined ? {} : { storageClass: values['storage-class'] }),
          istio: values.istio === true,
          ...(tlsDirectory === undefined ? {} : { tls: true }),
          ...(values['insecure-no-tls'] === true ? { insecureNoTls: true } : {}),
          ...(values['no-sso'] === true ? { noSso: true } : {}),
        })
      : renderComposeStack({
          profile: profile as Environment,
          env,
          existingSecrets: kept,
          ...(values.network === undefined ? {} : { applicationNetwork: values.network }),
          ...(values['publish-address'] === undefined ? {} : { publishAddress: values['publish-address'] }),
          ...exporters,
          model,
          ...(tlsDirectory === undefined ? {} : { tls: true }),
          ...(values['insecure-no-tls'] === true ? { insecureNoTls: true } : {}),
          ...(values['no-sso'] === true ? { noSso: true } : {}),
        });
  for (const warning of render.warnings) io.stderr(`warning: ${warning}`);
  const result = writeRenderedFiles(out, render.files);

  const generated = Object.entries(render.generatedSecrets);
  if (generated.length > 0) {
    const lines = Object.entries({ ...kept, ...render.generatedSecrets }).map(
      ([key, value]) => `${key}=${value}`,
    );
    writeFileSync(
      dotEnvPath,
      `# Development passwords generated by obs render. Keep private.\n${lines.join('\n')}\n`,
      {
        mode: 0o600,
      },
    );
    chmodSync(dotEnvPath, 0o600);
    io.stdout(`Generated development passwords (shown once; kept in ${dotEnvPath}, mode 0600):`);
    for (const [key, value] of generated) io.stdout(`  ${key}=${value}`);
  }
  io.stdout(
    `Rendered ${String(result.written)} files for ${profile} into ${out}` +
      (result.removed.length > 0
        ? ` (removed ${String(result.removed.length)} from the earlier render)`
        : '') +
      '.',
  );
  io.stdout(
    target === 'kubernetes'
      ? `Install: obs up --mode kubernetes, or the steps in ${join(out, 'README.md')} (helm, then kubectl).`
      : `Start: cd ${out} && docker compose -f ${COMPOSE_FILE} up -d`,
  );
  return 0;
}

/**
 * The stack's own credentials: the Grafana admin password, the Elasticsearch superuser password
 * and Kibana's system user password. They reach the containers at `docker compose up` from the
 * environment (Compose secrets and interpolation), never through a rendered file. Staging and
 * production refuse to render without them; development generates what is missing, once, and
 * keeps it in the output directory's `.env` (mode 0600) so re-renders reuse it.
 */
import { randomBytes } from 'node:crypto';
import type { Environment } from '@pyairtable/conventions';

type Env = Readonly<Record<string, string | undefined>>;

export interface StackSecret {
  /** Environment variable the value comes from. */
  readonly variable: string;
  /** Compose secret name; mounted at /run/secrets/<name>. */
  readonly secretName: string;
  readonly purpose: string;
}

export const STACK_SECRETS = {
  grafanaAdminPassword: {
    variable: 'GRAFANA_ADMIN_PASSWORD',
    secretName: 'grafana_admin_password',
    purpose: "Grafana's admin user",
  },
  elasticPassword: {
    variable: 'ELASTIC_PASSWORD',
    secretName: 'elastic_password',
    purpose: "Elasticsearch's elastic superuser (only the setup jobs use it)",
  },
  kibanaSystemPassword: {
    variable: 'KIBANA_SYSTEM_PASSWORD',
    secretName: 'kibana_system_password',
    purpose: "Kibana's connection to Elasticsearch (the kibana_system user)",
  },
  logstashElasticPassword: {
    variable: 'LOGSTASH_ES_PASSWORD',
    secretName: 'logstash_es_password',
    purpose: "Logstash's Elasticsearch user, which may only write the log data streams",
  },
  jaegerElasticPassword: {
    variable: 'JAEGER_ES_PASSWORD',
    secretName: 'jaeger_es_password',
    purpose: "Jaeger's Elasticsearch user, which may only use its trace indices",
  },
  grafanaElasticPassword: {
    variable: 'GRAFANA_ES_PASSWORD',
    secretName: 'grafana_es_password',
    purpose: "Grafana's Elasticsearch user, which may only read the log data streams",
  },
} as const satisfies Record<string, StackSecret>;
export type StackSecretKey = keyof typeof STACK_SECRETS;

/** Where a container finds a Compose secret. */
export const secretPath = (secret: StackSecret | string): string =>
  `/run/secrets/${typeof secret === 'string' ? secret : secret.secretName}`;

/** Elasticsearch refuses shorter passwords; 12 keeps brute force off the table for the others. */
export const MIN_PASSWORD_LENGTH = 12;
/** Values copied from the public spec and other well-known defaults, refused everywhere. */
const KNOWN_DEFAULTS = new Set(['admin', 'admin123', 'changeme', 'password', 'elastic', 'kibana']);

/**
 * Characters a password may use. Each consumer has its own quoting: Kibana's start script
 * expands options unquoted (spaces and globs), Grafana expands `$` after reading a file, the
 * setup job writes the value into a curl config and a JSON body (quotes, backslashes).
 */
const PASSWORD_CHARACTERS = /^[A-Za-z0-9._~+=,:@%^!#/-]+$/;
const PASSWORD_CHARACTERS_HINT = 'letters, digits and . _ ~ + = , : @ % ^ ! # / -';

export class SecretsError extends Error {
  override readonly name = 'SecretsError';
  constructor(readonly problems: readonly string[]) {
    super(`the stack's secrets are not usable:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/**
 * Runs every decision of a render that may refuse (secrets, TLS, single sign-on) and, when any
 * refuses, throws one SecretsError naming every problem of them all: one pass fixes them.
 */
export function decideAll<T extends readonly (() => unknown)[]>(
  ...decisions: T
): { -readonly [K in keyof T]: ReturnType<T[K]> } {
  const problems: string[] = [];
  const results = decisions.map((decide) => {
    try {
      return decide();
    } catch (error) {
      if (!(error instanceof SecretsError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  });
  if (problems.length > 0) throw new SecretsError(problems);
  return results as { -readonly [K in keyof T]: ReturnType<T[K]> };
}

export interface SecretsResolution {
  /** Values generated for development because their variable was unset (to keep in `.env`). */
  readonly generated: Readonly<Record<string, string>>;
}

/**
 * Checks the stack's secrets for a profile. Staging and production: every variable must be set
 * to a usable password, or this throws naming each one. Development: unset ones are generated.
 * `existing` holds values kept from an earlier render (the output directory's `.env`).
 */
export function resolveStackSecrets(
  profile: Environment,
  env: Env,
  existing: Env = {},
  random: (bytes: number) => string = (bytes) => randomBytes(bytes).toString('base64url'),
  /** The secrets this deployment needs (Kubernetes: the operator keeps Elasticsearch's own). */
  needed: readonly StackSecret[] = Object.values(STACK_SECRETS),
): SecretsResolution {
  const problems: string[] = [];
  const generated: Record<string, string> = {};
  for (const secret of needed) {
    const value = env[secret.variable] ?? existing[secret.variable];
    if (value === undefined || value === '') {
      if (profile === 'development') generated[secret.variable] = random(18);
      else
        problems.push(
          `${secret.variable} is not set: ${profile} needs the password for ${secret.purpose}. Export it (or put it in the environment of the render) and render again.`,
        );
      continue;
    }
    if (KNOWN_DEFAULTS.has(value.toLowerCase()))
      problems.push(`${secret.variable} is a well-known default password; choose another.`);
    else if (value.length < MIN_PASSWORD_LENGTH)
      problems.push(
        `${secret.variable} has ${String(value.length)} characters; use at least ${String(MIN_PASSWORD_LENGTH)}.`,
      );
    else if (!PASSWORD_CHARACTERS.test(value))
      problems.push(
        `${secret.variable} contains characters outside ${PASSWORD_CHARACTERS_HINT}: a quote, \\, $, a space or a glob character breaks Kibana's start script, Grafana's provisioning or the setup job.`,
      );
  }
  if (problems.length > 0) throw new SecretsError(problems);
  return { generated };
}

/** Reads a `.env` file's KEY=value lines (Compose's format, without interpolation). */
export function parseDotEnv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match?.[1] === undefined || line.trimStart().startsWith('#')) continue;
    values[match[1]] = (match[2] ?? '').replace(/^(['"])(.*)\1$/, '$2');
  }
  return values;
}

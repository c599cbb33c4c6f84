/**
 * obs certs --out <dir>
 *
 * Keeps a TLS directory for a staging or production stack: a private CA (made once), a
 * certificate and key per component with every name it is reached by, the UI passwords of
 * Prometheus and Alertmanager and the web configs carrying their bcrypt hashes. Run again, it
 * issues only what is missing or expiring. Renders mount these files; none is ever copied in.
 */
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CA_CERTIFICATE, CA_KEY, DEFAULT_NAMESPACE, UI_PASSWORDS, requiredTlsFiles } from '@pyairtable/stack';
import { UsageError } from '../errors.js';
import { readTlsEnv } from './render.js';
import type { CliIo } from '../io.js';

const DEFAULT_DAYS = 397;
const DEFAULT_RENEW_WITHIN = 30;

export const CERTS_HELP = `Usage: obs certs --out <dir> [options]

Makes the TLS material of a staging or production stack: a private CA, a certificate and key
per component (with its Compose, Kubernetes and localhost names), the passwords of Prometheus's
and Alertmanager's UIs (user admin) and the web configs carrying their bcrypt hashes. Run it
again to issue only what is missing or expires soon; the CA is kept. Keys and passwords are
written 0600 and never copied into a render: renders mount them from this directory.

Options:
  --out <dir>              the TLS directory (created 0700 when missing; required)
  --namespace <name>       Kubernetes namespace the certificates name (default: ${DEFAULT_NAMESPACE})
  --days <n>               validity of each component certificate (default: ${String(DEFAULT_DAYS)})
  --renew-within <n>       issue again what expires within n days (default: ${String(DEFAULT_RENEW_WITHIN)})
  --print-env              then print the files as the variables docker compose reads them from:
                           eval "$(obs certs --out <dir> --print-env)" before docker compose up
  -h, --help               this help

Environment:
  ${UI_PASSWORDS.prometheus.variable}, ${UI_PASSWORDS.alertmanager.variable}
      the UIs' passwords; when unset, the kept one is used, or a new one generated

Then: obs render --target compose --profile production --tls-dir <dir>
`;

function wholeNumber(
  value: string | undefined,
  fallback: number,
  option: string,
  problems: string[],
): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    problems.push(`--${option} "${value}" must be a whole number of days, 1 or more.`);
  return number;
}

export async function certsCommand(args: readonly string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        out: { type: 'string' },
        namespace: { type: 'string' },
        days: { type: 'string' },
        'renew-within': { type: 'string' },
        'print-env': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${CERTS_HELP}`);
  }
  if (values.help === true) {
    io.stdout(CERTS_HELP);
    return 0;
  }
  const problems: string[] = [];
  if (values.out === undefined || values.out === '') problems.push('--out <dir> is required.');
  const days = wholeNumber(values.days, DEFAULT_DAYS, 'days', problems);
  const renewWithin = wholeNumber(values['renew-within'], DEFAULT_RENEW_WITHIN, 'renew-within', problems);
  if (renewWithin >= days)
    problems.push(`--renew-within (${String(renewWithin)}) must be shorter than --days (${String(days)}).`);
  if (problems.length > 0) throw new UsageError(`${problems.join('\n')}\n\nSee obs certs --help.`);

  const directory = resolve(io.cwd, values.out ?? '');
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  chmodSync(directory, 0o700);
  const existing: Record<string, string> = {};
  for (const name of [...requiredTlsFiles(), CA_KEY]) {
    const path = join(directory, name);
    if (existsSync(path)) existing[name] = readFileSync(path, 'utf8');
  }
  // Loaded here only: it brings @peculiar/x509 and its Reflect polyfill.
  const { tlsMaterial } = await import('@pyairtable/stack/tls');
  const files = await tlsMaterial({
    existing,
    env: io.env,
    namespace: values.namespace ?? DEFAULT_NAMESPACE,
    validDays: days,
    renewWithinDays: renewWithin,
  });
  for (const file of files) {
    const path = join(directory, file.path);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, file.content, { mode: file.mode });
    chmodSync(path, file.mode);
  }
  if (values['print-env'] === true) {
    // Only the variables on stdout (for eval); the summary goes to stderr.
    for (const [variable, content] of Object.entries(readTlsEnv(directory)))
      io.stdout(`export ${variable}='${content.replace(/'/g, "'\\''")}'`);
    io.stderr(
      `obs certs: ${String(files.length)} files written in ${directory}; variables printed for eval.`,
    );
    return 0;
  }
  const counts = (reason: string): number => files.filter((file) => file.reason === reason).length;
  const ca = new X509Certificate(readFileSync(join(directory, CA_CERTIFICATE), 'utf8'));
  io.stdout(
    `TLS directory ${directory}: ${String(counts('new'))} new, ${String(counts('renewed'))} renewed, ${String(counts('updated'))} updated, ${String(requiredTlsFiles().length + 1 - files.length)} kept.`,
  );
  io.stdout(`CA ${ca.subject.replace(/^CN=/, '')}, SHA-256 ${ca.fingerprint256}, valid until ${ca.validTo}.`);
  const generated = files.filter((file) =>
    Object.values(UI_PASSWORDS).some((password) => password.file === file.path),
  );
  for (const file of generated)
    io.stdout(`UI password (user admin) written to ${join(directory, file.path)} (mode 0600).`);
  io.stdout(
    `Next: obs render --target compose|kubernetes --profile production --tls-dir ${directory} --out <dir>`,
  );
  return 0;
}

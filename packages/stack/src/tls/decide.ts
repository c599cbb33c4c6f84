/**
 * Whether a render runs TLS between the stack's parts: staging and production do, with the
 * files `obs certs` makes (given as `PYAIRTABLE_TLS_*` variables), unless TLS is refused by name
 * (`--insecure-no-tls`, which becomes a warning); development only when asked. Compose and
 * Kubernetes decide alike; each names the files it needs.
 */
import type { Environment } from '@pyairtable/conventions';
import { PROFILES } from '../model.js';
import { SecretsError } from '../secrets.js';
import { tlsVariable } from './layout.js';

export interface TlsChoice {
  /** TLS in development too (staging and production have it unless `insecureNoTls`). */
  readonly tls?: boolean;
  /** Staging or production without TLS: rendered, with a warning. */
  readonly insecureNoTls?: boolean;
}

export function decideTls(
  profile: Environment,
  env: Readonly<Record<string, string | undefined>>,
  choice: TlsChoice,
  files: readonly string[],
): { readonly on: boolean; readonly warnings: readonly string[] } {
  const required = PROFILES[profile].requireSecrets;
  if (choice.insecureNoTls === true)
    return {
      on: false,
      warnings: required
        ? [
            `TLS is off (--insecure-no-tls): the ${profile} stack's parts talk in plain text, and Prometheus's and Alertmanager's UIs ask for no password.`,
          ]
        : [],
    };
  if (!required && choice.tls !== true) return { on: false, warnings: [] };
  const needed = [...new Set(files)];
  const missing = needed.filter((file) => (env[tlsVariable(file)] ?? '') === '');
  const which =
    missing.length === needed.length
      ? `none of its ${String(needed.length)} TLS files is given (${tlsVariable(missing[0] ?? '')} and the rest of obs certs --print-env)`
      : `${String(missing.length)} of its TLS files ${missing.length === 1 ? 'is' : 'are'} not given: ${missing.map(tlsVariable).join(', ')}`;
  if (missing.length > 0)
    throw new SecretsError([
      `${profile} runs TLS between its parts, and ${which}. ` +
        'Make them with obs certs --out <dir>, then render with --tls-dir <dir> (or export them with eval "$(obs certs --out <dir> --print-env)"); ' +
        'to render without TLS, say so: --insecure-no-tls.',
    ]);
  return { on: true, warnings: [] };
}

/**
 * Reading the demo's environment. Every setting has a default that works on one machine; a value
 * that is set but unusable stops the service at start with a message naming the variable, the
 * value and what is allowed, because a demo silently running on a default it was told not to
 * use is harder to debug than one that refuses to start.
 */

/** The environment a service reads (process.env, or a test's own). */
export type DemoEnv = Readonly<Record<string, string | undefined>>;

export class DemoConfigError extends Error {
  override readonly name = 'DemoConfigError';
}

/** A variable's value, with the empty string counting as unset (as `VAR= node ...` gives). */
function valueOf(env: DemoEnv, variable: string): string | undefined {
  const value = env[variable]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function readString(env: DemoEnv, variable: string, fallback: string): string {
  return valueOf(env, variable) ?? fallback;
}

export function readPort(env: DemoEnv, variable: string, fallback: number): number {
  const value = valueOf(env, variable);
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535)
    throw new DemoConfigError(`${variable} must be a port number from 0 to 65535 (got "${value}")`);
  return port;
}

export function readInteger(
  env: DemoEnv,
  variable: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = valueOf(env, variable);
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max)
    throw new DemoConfigError(`${variable} must be a whole number from ${min} to ${max} (got "${value}")`);
  return number;
}

/** A base URL without its trailing slash, so callers append paths as they are. */
export function readBaseUrl(env: DemoEnv, variable: string, fallback: string): string {
  const value = valueOf(env, variable) ?? fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DemoConfigError(`${variable} must be an http:// or https:// URL (got "${value}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new DemoConfigError(`${variable} must be an http:// or https:// URL (got "${value}")`);
  return value.replace(/\/+$/, '');
}

/** An optional URL of one of `protocols` (`redis:`), undefined when the variable is unset. */
export function readOptionalUrl(
  env: DemoEnv,
  variable: string,
  protocols: readonly string[],
): URL | undefined {
  const value = valueOf(env, variable);
  if (value === undefined) return undefined;
  const expected = protocols.map((protocol) => `${protocol}//`).join(' or ');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // The value may hold a password: name the variable, never echo it.
    throw new DemoConfigError(`${variable} must be a ${expected} URL`);
  }
  if (!protocols.includes(url.protocol))
    throw new DemoConfigError(`${variable} must be a ${expected} URL (got a ${url.protocol}// URL)`);
  return url;
}

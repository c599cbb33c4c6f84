/**
 * Every entry of the option table, checked the same way: its default when nothing is set, each
 * of its variables read when set, and a bad variable warned about once and replaced by the
 * default. Values are made up from each kind's own description, so a new entry is covered as
 * soon as it is added.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResolvedConfig } from '@pyairtable/telemetry';
import { TelemetryConfigError, resolveConfig } from '@pyairtable/telemetry';
import type { EnvKind, Kind, Setting, Sources } from '../src/config-options.js';
import { OPTION_TABLE } from '../src/config.js';
import { captureWarnings } from './warning-capture.js';

type Name = keyof ResolvedConfig;
const secrets = mkdtempSync(join(tmpdir(), 'config-table-'));
const ENTRIES = Object.entries(OPTION_TABLE) as [Name, Setting<unknown> & { envOnly?: true }][];
const VARIABLES = ENTRIES.flatMap(([name, setting]) =>
  setting.env.map((variable) => [name, variable] as const),
);
const REFUSABLE = VARIABLES.filter(
  ([name, variable]) => badValue(kindOf(name, variable), variable) !== undefined,
);
const CODE_OPTIONS = ENTRIES.filter(([, setting]) => setting.envOnly !== true);

const warnings = captureWarnings();

function settingOf(name: Name): Setting<unknown> {
  return OPTION_TABLE[name];
}

function kindOf(name: Name, variable: string): EnvKind<unknown> {
  const setting = settingOf(name);
  return setting.envKinds?.[variable] ?? setting.kind;
}

/** Resolves with the service named in code, unless the service name is what is under test. */
function resolve(name: Name, env: Record<string, string> = {}): ResolvedConfig {
  return resolveConfig(name === 'serviceName' ? {} : { serviceName: 'svc' }, env);
}

/** The default the table declares, worked out against a resolved config it may depend on. */
function declaredDefault(setting: Setting<unknown>, config: ResolvedConfig): unknown {
  const { default: value } = setting;
  if (typeof value !== 'function') return value;
  const sources: Sources = {
    get: (other) => config[other],
    read: <T>(other: Setting<T>) => declaredDefault(other, config) as T,
  };
  return (value as (sources: Sources) => unknown)(sources);
}

function secretFile(contents: string): string {
  const path = join(secrets, `secret-${String(Math.random()).slice(2)}`);
  writeFileSync(path, contents);
  return path;
}

/** A value this variable accepts and what it reads as, chosen to differ from `unlike`. */
function goodValue(kind: EnvKind<unknown>, variable: string, unlike: unknown): [string, unknown] {
  switch (kind.type) {
    case 'text':
      return ['from-env-1.2.3', 'from-env-1.2.3'];
    case 'service-name':
      return ['billing-service', 'billing-service'];
    case 'enum': {
      const value = kind.values.find((candidate) => candidate !== unlike)!;
      return [value, value];
    }
    case 'boolean':
      return [String(unlike !== true), unlike !== true];
    case 'number': {
      const value = kind.min === unlike ? kind.max : kind.min;
      return [String(value), value];
    }
    case 'base-url':
      return ['https://collector.example/otlp//', 'https://collector.example/otlp'];
    case 'full-url':
      return ['https://collector.example/v1/traces?tenant=a', 'https://collector.example/v1/traces?tenant=a'];
    case 'file-or-value': {
      const secret = 's'.repeat(kind.minLength);
      return variable.endsWith('_FILE') ? [secretFile(`${secret}\n`), secret] : [secret, secret];
    }
    case 'exporter-list':
      return unlike === true ? ['console', false] : ['console, OTLP', true];
    case 'sampler':
      return unlike === 0 ? ['parentbased_always_on', 1] : ['parentbased_always_off', 0];
  }
}

/** A value this variable refuses, or undefined for kinds where every value means something. */
function badValue(kind: EnvKind<unknown>, variable: string): string | undefined {
  switch (kind.type) {
    case 'text':
    case 'exporter-list':
      return undefined;
    case 'service-name':
      return '-Not A Name';
    case 'enum':
      return 'no-such-value';
    case 'boolean':
      return 'maybe';
    case 'number':
      return String(kind.max + 1);
    case 'base-url':
    case 'full-url':
      return 'ftp://collector.example';
    case 'file-or-value':
      return variable.endsWith('_FILE') ? join(secrets, 'missing') : 'tiny-s3cret';
    case 'sampler':
      return 'sometimes';
  }
}

/** A value that is not allowed in code for this kind. */
function badCodeValue(kind: Kind<unknown>): unknown {
  switch (kind.type) {
    case 'text':
      return '  ';
    case 'number':
      return kind.max + 1;
    case 'file-or-value':
      return 'short';
    case 'boolean':
    case 'exporter-list':
      return 'yes';
    default:
      return 'Not Allowed';
  }
}

/** The standard warning shows the value and what is allowed; a secret's never shows the secret. */
function expectNamesTheProblem(warning: string, kind: EnvKind<unknown>, variable: string, bad: string): void {
  if (kind.type !== 'file-or-value')
    expect(warning).toContain(`${variable}=${JSON.stringify(bad)} is not valid (allowed: ${kind.allowed})`);
  else if (!variable.endsWith('_FILE')) expect(warning).not.toContain(bad);
}

describe('the option table', () => {
  it.each(ENTRIES)('%s has its declared default when nothing is set', (name, setting) => {
    const config = resolve(name);
    expect(config[name]).toEqual(declaredDefault(setting, config));
    expect(warnings).toEqual(setting.unsetWarning === undefined ? [] : [setting.unsetWarning]);
  });

  it.each(VARIABLES)('%s reads %s when it is set', (name, variable) => {
    const [value, expected] = goodValue(kindOf(name, variable), variable, resolve(name)[name]);
    warnings.length = 0;
    expect(resolve(name, { [variable]: value })[name]).toEqual(expected);
    expect(warnings).toEqual([]);
  });

  it.each(REFUSABLE)('%s warns once about a bad %s and uses its default', (name, variable) => {
    const kind = kindOf(name, variable);
    const bad = badValue(kind, variable)!;
    const config = resolve(name, { [variable]: bad });
    resolve(name, { [variable]: bad });
    expect(config[name]).toEqual(declaredDefault(settingOf(name), config));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^${variable}\\b`));
    expectNamesTheProblem(warnings[0]!, kind, variable, bad);
  });

  it.each(CODE_OPTIONS)('%s throws for a bad value in code, naming the option', (name, setting) => {
    const options = { serviceName: 'svc', [name]: badCodeValue(setting.kind) };
    expect(() => resolveConfig(options, {})).toThrow(TelemetryConfigError);
    expect(() => resolveConfig(options, {})).toThrow(`option ${name} is`);
  });

  it('repairs a service name a variable spells loosely, with a warning', () => {
    expect(resolveConfig({}, { SERVICE_NAME: 'Billing Service' }).serviceName).toBe('billing-service');
    expect(warnings).toEqual([
      'SERVICE_NAME="Billing Service" is not valid (allowed: a lower-case name like "api-gateway" (letters, digits, ".", "_", "-")); using billing-service.',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import {
  MIN_PASSWORD_LENGTH,
  STACK_SECRETS,
  SecretsError,
  parseDotEnv,
  resolveStackSecrets,
} from '@pyairtable/stack';

const VARIABLES = Object.values(STACK_SECRETS).map((secret) => secret.variable);
const good = (seed: string): string => `${seed}-0123456789abcdef`;
const ALL = Object.fromEntries(VARIABLES.map((variable) => [variable, good(variable.toLowerCase())]));

function problemsOf(
  profile: 'staging' | 'production' | 'development',
  env: Record<string, string>,
): string[] {
  try {
    resolveStackSecrets(profile, env);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(SecretsError);
    return [...(error as SecretsError).problems];
  }
}

describe('the stack’s secrets', () => {
  it.each(['staging', 'production'] as const)('%s needs every one, and names each one missing', (profile) => {
    expect(problemsOf(profile, ALL)).toEqual([]);
    for (const variable of VARIABLES) {
      const { [variable]: _left, ...rest } = ALL;
      const problems = problemsOf(profile, rest);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(`${variable} is not set: ${profile} needs`);
    }
  });

  it('refuses the spec’s admin123 and other well-known defaults, short passwords and unsafe characters', () => {
    const with_ = (value: string): string[] =>
      problemsOf('production', { ...ALL, [STACK_SECRETS.grafanaAdminPassword.variable]: value });
    expect(with_('admin123')[0]).toContain('well-known default');
    expect(with_('changeme')[0]).toContain('well-known default');
    expect(with_('a'.repeat(MIN_PASSWORD_LENGTH - 1))[0]).toContain(
      `use at least ${String(MIN_PASSWORD_LENGTH)}`,
    );
    expect(with_('a'.repeat(MIN_PASSWORD_LENGTH))).toEqual([]);
    for (const unsafe of [
      'pa$$word-long-enough',
      'has space inside1',
      'quote"inside-long',
      'glob*inside-long1',
    ])
      expect(with_(unsafe)[0], unsafe).toContain('contains characters outside');
    // Even development refuses a bad value it was given.
    expect(problemsOf('development', { [STACK_SECRETS.elasticPassword.variable]: 'admin123' })).toHaveLength(
      1,
    );
  });

  it('development generates only what is missing, and reuses values kept from an earlier render', () => {
    const { generated } = resolveStackSecrets('development', { [VARIABLES[0] ?? '']: good('given') });
    expect(Object.keys(generated).sort()).toEqual(VARIABLES.slice(1).sort());
    for (const value of Object.values(generated)) expect(value).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const kept = resolveStackSecrets('development', {}, ALL);
    expect(kept.generated).toEqual({});
  });

  it('reads .env files as Compose writes them', () => {
    expect(parseDotEnv('# comment\nA=1\n B = two \nC="quoted value"\nD=\'single\'\n\nnot a line\n')).toEqual({
      A: '1',
      B: 'two',
      C: 'quoted value',
      D: 'single',
    });
  });
});

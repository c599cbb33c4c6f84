import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINES, engineAvailable, runEngine, tempDir } from '@pyairtable/test-support';
import {
  PII_KEY_RULES,
  PII_MASK,
  PII_NEVER_MASKED_KEYS,
  PII_VALUE_RULES,
  createPiiMasker,
  luhnValid,
  re2Pattern,
} from '@pyairtable/conventions';
import { NEGATIVES, ORDINARY_KEYS, POSITIVES, SENSITIVE_KEYS } from '@pyairtable/test-support';

const masker = createPiiMasker();

describe('PII value rules', () => {
  it.each(POSITIVES)('masks $rule in "$text"', ({ text, rule, masked }) => {
    const definition = PII_VALUE_RULES.find((candidate) => candidate.id === rule);
    expect(definition, `rule ${rule} exists`).toBeDefined();
    expect(new RegExp(definition!.pattern, definition!.caseInsensitive ? 'i' : '').test(text)).toBe(true);
    expect(masker.maskString(text)).toBe(masked);
  });

  it.each(NEGATIVES)('leaves "%s" alone', (text) => {
    expect(masker.maskString(text)).toBe(text);
  });

  it.each(PII_VALUE_RULES)(
    '$id: every match in the corpus contains its hint (the prefilter skips none)',
    (rule) => {
      const hint = new RegExp(rule.hint, 'i');
      const regex = new RegExp(rule.pattern, rule.caseInsensitive ? 'gi' : 'g');
      for (const text of [...POSITIVES.map((positive) => positive.text), ...NEGATIVES])
        for (const [match] of text.matchAll(regex))
          expect(hint.test(match), `${match} in ${text}`).toBe(true);
    },
  );

  it.each(POSITIVES)(
    'masking "$masked" again changes nothing (the SDK, hub and collector mask in turn)',
    ({ masked }) => {
      expect(masker.maskString(masked)).toBe(masked);
    },
  );

  it('masks URL credentials before the e-mail rule can take half of them', () => {
    expect(masker.maskString('postgres://app:s3cr!t@db.example.com/x')).toBe(
      `postgres${PII_MASK}db.example.com/x`,
    );
  });

  it('masks every occurrence, not only the first', () => {
    expect(masker.maskString('a@example.com, b@example.org')).toBe(`${PII_MASK}, ${PII_MASK}`);
  });

  it('applies the Luhn check: a card-shaped number failing it is kept', () => {
    expect(masker.maskString('4111111111111111')).toBe(PII_MASK);
    expect(masker.maskString('4111111111111112')).toBe('4111111111111112');
  });
});

describe('Luhn', () => {
  it.each(['4111111111111111', '378282246310005', '6011 1111 1111 1117', '5555-5555-5555-4444'])(
    'accepts %s',
    (number) => {
      expect(luhnValid(number)).toBe(true);
    },
  );
  it.each(['4111111111111112', '1234567890123456', '0000', '4111111111111111111111'])(
    'rejects %s',
    (number) => {
      expect(luhnValid(number)).toBe(false);
    },
  );
});

describe('PII key rules', () => {
  it.each(SENSITIVE_KEYS)('masks the value of %s whole', (key) => {
    expect(masker.isSensitiveKey(key)).toBe(true);
    expect(masker.maskValue({ [key]: 'hunter2' })).toEqual({ [key]: PII_MASK });
  });

  it.each(ORDINARY_KEYS)('does not treat %s as sensitive', (key) => {
    expect(masker.isSensitiveKey(key)).toBe(false);
  });

  it('masks nested objects by dotted path and scrubs free text elsewhere', () => {
    const record = {
      message: 'login by jane@example.com',
      http: { request: { header: { authorization: 'Basic dXNlcjpwYXNz', accept: 'application/json' } } },
      credentials: { user: 'jane', pass: 'x' },
      attributes: { 'gen_ai.usage.input_tokens': 1234, retries: [1, 'mail x@example.com'] },
      trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736' },
      api_key: { hash: 'f'.repeat(64) },
      cvv: 123,
    };
    expect(masker.maskValue(record)).toEqual({
      message: `login by ${PII_MASK}`,
      http: { request: { header: { authorization: PII_MASK, accept: 'application/json' } } },
      credentials: PII_MASK,
      attributes: { 'gen_ai.usage.input_tokens': 1234, retries: [1, `mail ${PII_MASK}`] },
      trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736' },
      api_key: { hash: 'f'.repeat(64) },
      cvv: PII_MASK,
    });
  });

  it('never examines the identifier fields', () => {
    for (const key of PII_NEVER_MASKED_KEYS)
      expect(masker.maskValue('jane@example.com', key)).toBe('jane@example.com');
  });

  it('does not mutate its input', () => {
    const input = { password: 'x', nested: { email: 'a@example.com' } };
    masker.maskValue(input);
    expect(input).toEqual({ password: 'x', nested: { email: 'a@example.com' } });
  });
});

describe('PII patterns stay within the RE2 and JavaScript common subset', () => {
  const allRules = [...PII_KEY_RULES, ...PII_VALUE_RULES];

  it.each(allRules)('$id uses no lookaround, backreference, inline flag or named group', ({ pattern }) => {
    expect(pattern).not.toMatch(/\(\?[=!<]/);
    expect(pattern).not.toMatch(/\\[1-9]/);
    expect(pattern).not.toMatch(/\(\?[a-zA-Z]/);
    expect(pattern).not.toMatch(/\(\?P</);
    expect(pattern).not.toMatch(/[*+?}]\+/);
  });

  it.each(allRules)('$id repeats at most 1000 times (RE2 limit)', ({ pattern }) => {
    for (const [, low, high] of pattern.matchAll(/\{(\d+)(?:,(\d*))?\}/g))
      expect(Number(high === undefined || high === '' ? low : high)).toBeLessThanOrEqual(1000);
  });

  it('renders case-insensitive rules with the RE2 (?i) prefix', () => {
    const rule = PII_KEY_RULES.find((candidate) => candidate.caseInsensitive)!;
    expect(re2Pattern(rule)).toBe(`(?i)${rule.pattern}`);
    expect(re2Pattern({ pattern: 'a', caseInsensitive: false })).toBe('a');
  });
});

/**
 * The same rules must mean the same thing in Go's RE2 (collector, Prometheus) as in JavaScript.
 * Prometheus's label matchers are Go RE2, so promtool evaluates every rule over the corpus and
 * must select exactly the entries JavaScript selects.
 */
describe.runIf(engineAvailable(ENGINES.promtool))('PII rules in Go RE2 (promtool)', () => {
  const texts = [...POSITIVES.map((positive) => positive.text), ...NEGATIVES];
  const keys = [...SENSITIVE_KEYS, ...ORDINARY_KEYS];

  function unitTest(): object {
    const series = [
      ...texts.map((text, index) => ({
        series: `pii_text{id="t${index}",text=${JSON.stringify(text)}}`,
        values: '1',
      })),
      ...keys.map((key, index) => ({
        series: `pii_key{id="k${index}",key=${JSON.stringify(key)}}`,
        values: '1',
      })),
    ];
    const expectations = [
      ...PII_VALUE_RULES.map((rule) => {
        const js = new RegExp(rule.pattern, rule.caseInsensitive ? 'i' : '');
        return {
          expr: `count by (id) (pii_text{text=~\`${rule.caseInsensitive ? '(?i)' : ''}.*(?:${rule.pattern}).*\`})`,
          eval_time: '0m',
          exp_samples: texts.flatMap((text, index) =>
            js.test(text) ? [{ labels: `{id="t${index}"}`, value: 1 }] : [],
          ),
        };
      }),
      ...PII_KEY_RULES.map((rule) => {
        const js = new RegExp(rule.pattern, rule.caseInsensitive ? 'i' : '');
        return {
          expr: `count by (id) (pii_key{key=~\`${rule.caseInsensitive ? '(?i)' : ''}.*(?:${rule.pattern}).*\`})`,
          eval_time: '0m',
          exp_samples: keys.flatMap((key, index) =>
            js.test(key) ? [{ labels: `{id="k${index}"}`, value: 1 }] : [],
          ),
        };
      }),
    ];
    return {
      rule_files: ['empty-rules.yml'],
      evaluation_interval: '1m',
      tests: [{ interval: '1m', input_series: series, promql_expr_test: expectations }],
    };
  }

  it('selects exactly the corpus entries JavaScript selects, rule by rule', () => {
    const dir = tempDir('pii-re2');
    try {
      writeFileSync(join(dir.path, 'empty-rules.yml'), 'groups: []\n');
      writeFileSync(join(dir.path, 'pii.test.json'), JSON.stringify(unitTest(), null, 1));
      const result = runEngine(ENGINES.promtool, ['test', 'rules', 'pii.test.json'], { cwd: dir.path });
      expect(result.stdout + result.stderr).toContain('SUCCESS');
      expect(result.status).toBe(0);
    } finally {
      dir.cleanup();
    }
  });

  it('would notice a dialect difference (a lookahead RE2 refuses)', () => {
    const dir = tempDir('pii-re2-negative');
    try {
      writeFileSync(join(dir.path, 'empty-rules.yml'), 'groups: []\n');
      const test = {
        rule_files: ['empty-rules.yml'],
        tests: [
          {
            interval: '1m',
            input_series: [{ series: 'pii_text{text="a"}', values: '1' }],
            promql_expr_test: [{ expr: 'pii_text{text=~`a(?=b)`}', eval_time: '0m', exp_samples: [] }],
          },
        ],
      };
      writeFileSync(join(dir.path, 'bad.test.json'), JSON.stringify(test));
      const result = runEngine(ENGINES.promtool, ['test', 'rules', 'bad.test.json'], { cwd: dir.path });
      expect(result.status).not.toBe(0);
    } finally {
      dir.cleanup();
    }
  });
});

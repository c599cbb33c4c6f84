/**
 * PII rules as data, and the reference masker that applies them.
 *
 * Every pattern is written in the common subset of JavaScript and RE2 syntax (no lookaround,
 * no backreferences, no inline flags, bounded repetition of at most 1000), because the same
 * rules are rendered into the collector's redaction processor (Go RE2) and Logstash (Onigmo)
 * and run here in JavaScript. Case-insensitivity is a flag of the rule: renderers prefix RE2
 * patterns with `(?i)`, JavaScript compiles them with the `i` flag. Unbounded `+` appears only
 * after a literal prefix, so no pattern backtracks quadratically on long input in JavaScript.
 *
 * A value rule's whole match is replaced by the mask, in every engine (the collector's redaction
 * processor cannot keep part of a match). Without lookaround the context that shows a value is
 * a secret (the `://` and `@` around URL credentials, the `password=` before a password) has to
 * be part of the match, so it is masked with the secret; rules keep that context as short as
 * they can and leave the rest of the text alone. Rules run in order, each on the output of the
 * ones before it: one that must see its context before another rule masks part of it (URL
 * credentials before e-mail addresses) comes first.
 *
 * Identifier-shaped values (trace and span ids, UUIDs, timestamps, version strings) never
 * match a value rule; fields that hold identifiers are listed in `PII_NEVER_MASKED_KEYS` and
 * are not examined at all.
 */

import { setOwn } from './own-properties.js';

/** What replaces a sensitive value or match; the collector's redaction processor uses the same. */
export const PII_MASK = '****';

export interface PiiKeyRule {
  readonly id: string;
  readonly description: string;
  /** Matched anywhere in the attribute key or dotted field path; the whole value is masked. */
  readonly pattern: string;
  readonly caseInsensitive: boolean;
}

export interface PiiValueRule {
  readonly id: string;
  readonly description: string;
  /** Every match inside a string value is replaced by the mask. */
  readonly pattern: string;
  readonly caseInsensitive: boolean;
  /**
   * A cheap pattern that every match of `pattern` contains. Maskers test all hints in one
   * pass first and skip strings that contain none (most of them: routes, ids, numbers).
   */
  readonly hint: string;
  /**
   * A check a match must also pass where the engine can run code (here, the hub, Logstash);
   * the collector cannot, so it masks every regex match: stricter, never looser.
   */
  readonly validator?: 'luhn';
}

export const PII_KEY_RULES: readonly PiiKeyRule[] = [
  {
    id: 'password',
    description: 'Passwords and passphrases (password, passwd, pwd, passphrase).',
    pattern: 'pass(word|wd|phrase)|pwd$',
    caseInsensitive: true,
  },
  {
    id: 'secret',
    description: 'Secrets (client_secret, secretKey).',
    pattern: 'secret',
    caseInsensitive: true,
  },
  {
    id: 'token',
    description: 'Tokens (access_token, refreshToken, x-auth-token); token counts like input_tokens are not.',
    pattern: 'token$',
    caseInsensitive: true,
  },
  {
    id: 'authorization',
    description: 'Authorization and Proxy-Authorization headers.',
    pattern: 'authori[sz]ation',
    caseInsensitive: true,
  },
  {
    id: 'api-key',
    description: 'API keys (x-api-key, apiKey, api_key).',
    pattern: 'api[._-]?key',
    caseInsensitive: true,
  },
  { id: 'cookie', description: 'Cookie and Set-Cookie headers.', pattern: 'cookie', caseInsensitive: true },
  {
    id: 'session-id',
    description: 'Session identifiers.',
    pattern: 'session[._-]?id$',
    caseInsensitive: true,
  },
  {
    id: 'private-key',
    description: 'Private keys and credentials.',
    pattern: 'private[._-]?key|credential',
    caseInsensitive: true,
  },
  {
    id: 'connection-string',
    description: 'Connection strings and DSNs, which embed passwords.',
    pattern: 'connection[._-]?string|database[._-]?url|(^|[^a-z])dsn$',
    caseInsensitive: true,
  },
  {
    id: 'payment-card',
    description: 'Payment card fields (card number, CVV/CVC).',
    pattern: 'card[._-]?(number|num|no)$|(^|[^a-z])(cvv|cvc|pan)$',
    caseInsensitive: true,
  },
  {
    id: 'national-id',
    description: 'National identity numbers (SSN).',
    pattern: '(^|[^a-z])ssn$',
    caseInsensitive: true,
  },
];

export const PII_VALUE_RULES: readonly PiiValueRule[] = [
  {
    // First: `postgres://app:pw@db.example.com` would otherwise lose only `pw@db.example.com` to
    // the e-mail rule, and a password with a character an address cannot hold (`s3cr!t`) would
    // keep its head.
    id: 'url-credentials',
    description:
      'Credentials in URLs (`scheme://user:password@host`): from `://` to the last `@` of the authority, ' +
      'user name included (`postgres://app:pw@db:5432/x` becomes `postgres****db:5432/x`).',
    pattern: '://[^ \\t\\r\\n:/?#@]{0,256}:[^ \\t\\r\\n/?#]{1,256}@',
    caseInsensitive: false,
    hint: '://',
  },
  {
    id: 'email',
    description: 'E-mail addresses.',
    pattern: '[A-Za-z0-9_.%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\\.){1,8}[A-Za-z]{2,24}',
    caseInsensitive: false,
    hint: '@',
  },
  {
    id: 'phone-international',
    description: 'Phone numbers in international form (+44 20 7946 0958, +14155552671).',
    pattern: '\\+[1-9](?:[ ().-]{0,2}[0-9]){7,14}\\b',
    caseInsensitive: false,
    hint: '\\+[1-9]',
  },
  {
    id: 'phone-nanp',
    description: 'North American phone numbers with separators ((415) 555-2671, 415.555.2671).',
    pattern: '\\(?\\b[2-9][0-9]{2}\\)?[ .-][2-9][0-9]{2}[ .-][0-9]{4}\\b',
    caseInsensitive: false,
    hint: '[0-9]{3}[ .-][0-9]{4}',
  },
  {
    id: 'payment-card',
    description:
      'Payment card numbers of the major networks, 13–19 digits, spaces or dashes allowed, Luhn-valid.',
    pattern:
      '\\b(?:4[0-9]{3}|5[1-5][0-9]{2}|2[2-7][0-9]{2}|3[47][0-9]{2}|3[0689][0-9]{2}|6(?:011|5[0-9]{2}|4[4-9][0-9]|22[0-9]))(?:[ -]?[0-9]){9,15}\\b',
    caseInsensitive: false,
    hint: '[0-9]{4}[ -]?[0-9]',
    validator: 'luhn',
  },
  {
    id: 'jwt',
    description: 'JSON Web Tokens (three base64url parts, header and payload starting eyJ).',
    pattern: 'eyJ[A-Za-z0-9_-]+\\.eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*',
    caseInsensitive: false,
    hint: 'eyJ',
  },
  {
    id: 'bearer-token',
    description: 'Bearer credentials in free text ("Bearer abc…", 16 characters or more).',
    pattern: '\\bbearer[ \\t]+[A-Za-z0-9._~+/-]{16,}=*',
    caseInsensitive: true,
    hint: 'bearer',
  },
  {
    id: 'api-key',
    description:
      'Provider API keys by their published prefixes: OpenAI and Anthropic (sk-), Airtable personal access ' +
      'tokens, Google (AIza), AWS access key ids, GitHub, Slack tokens and webhooks, Stripe.',
    pattern:
      '\\bsk-[A-Za-z0-9_-]{20,}|\\bpat[A-Za-z0-9]{14}\\.[a-f0-9]{64}\\b|\\bAIza[0-9A-Za-z_-]{35}|\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b|\\bgh[pousr]_[A-Za-z0-9]{36,255}|\\bxox[abposr]-[A-Za-z0-9-]{10,}|hooks\\.slack\\.com/services/[A-Za-z0-9/_-]+|\\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}',
    caseInsensitive: false,
    hint: 'sk-|pat|AIza|AKIA|ASIA|gh[pousr]_|xox|hooks\\.slack|k_live_|k_test_',
  },
  {
    id: 'airtable-legacy-key',
    description:
      'Airtable legacy API keys (`key` and 14 letters or digits, a word of its own: `keyAbCdEfGh123456`, ' +
      'not `keyboard_layout`, `monkey123456789012` or `key_id`).',
    pattern: '\\bkey[A-Za-z0-9]{14}\\b',
    caseInsensitive: false,
    hint: 'key[a-z0-9]{14}',
  },
  {
    // Last: a value another rule masked (`token=eyJ…` → `token=****`) is masked with its name.
    id: 'secret-assignment',
    description:
      'Secrets assigned in free text (`password=…`, `secret: …`, `token=…`, `api_key=…`, `"password":"…"`): ' +
      'the name and the value, quoted or up to a space, quote, `&`, `,` or `;`; a prefix of the name is ' +
      'kept (`client_secret=x` becomes `client_****`). Prose (`reset your password`) and names that only ' +
      'begin so (`password_reset=`, `max_tokens:`) are left alone.',
    pattern:
      '["\']?(?:pass(?:word|wd|phrase)|secret(?:[_-]?(?:access[_-]?)?key)?|token|api[_-]?key)["\']?' +
      '[ \\t]{0,3}[:=][ \\t]{0,3}(?:"[^"\\r\\n]{0,256}"|\'[^\'\\r\\n]{0,256}\'|["\']?[^ \\t\\r\\n"\'&,;]{1,256})',
    caseInsensitive: true,
    hint: 'pass|secret|token|api[_-]?key',
  },
];

/**
 * Keys (exact attribute keys or dotted log field paths) whose values are identifiers or
 * already-anonymised data and are never masked, even where a key rule would match
 * (`api_key.hash` is the point of hashing the key).
 */
export const PII_NEVER_MASKED_KEYS: readonly string[] = [
  '@timestamp',
  'trace.id',
  'trace.span_id',
  'trace_id',
  'span_id',
  'traceparent',
  'tracestate',
  'x-trace-id',
  'api_key.hash',
  'pyairtable.api_key.hash',
  'service.version',
  'http.route',
];

/** Luhn checksum over the digits of `candidate` (separators ignored). */
export function luhnValid(candidate: string): boolean {
  let sum = 0;
  let digits = 0;
  for (let index = candidate.length - 1; index >= 0; index--) {
    const code = candidate.charCodeAt(index) - 48;
    if (code < 0 || code > 9) continue;
    const doubled = digits % 2 === 1;
    let value = doubled ? code * 2 : code;
    if (value > 9) value -= 9;
    sum += value;
    digits++;
  }
  return digits >= 13 && digits <= 19 && sum % 10 === 0;
}

export interface PiiRules {
  readonly keyRules: readonly PiiKeyRule[];
  readonly valueRules: readonly PiiValueRule[];
  readonly neverMaskedKeys: readonly string[];
}

export const PII_RULES: PiiRules = {
  keyRules: PII_KEY_RULES,
  valueRules: PII_VALUE_RULES,
  neverMaskedKeys: PII_NEVER_MASKED_KEYS,
};

/** A rule's pattern in RE2 syntax, as the collector and Logstash configs carry it. */
export function re2Pattern(rule: { readonly pattern: string; readonly caseInsensitive: boolean }): string {
  return rule.caseInsensitive ? `(?i)${rule.pattern}` : rule.pattern;
}

/** What replaces a reference back to an enclosing object, and structure beyond the depth limit. */
const CYCLE_MARKER = '[circular]';
const DEPTH_MARKER = '[too deep]';
const MAX_DEPTH = 32;

export interface PiiMasker {
  /** Whether the value under this key or dotted path is masked whole. */
  isSensitiveKey(key: string): boolean;
  /** The string with every value-rule match replaced by the mask. */
  maskString(value: string): string;
  /**
   * A copy of a JSON-like value with sensitive keys masked and strings scrubbed; `path` is the
   * dotted path of `value` itself. Objects nest as dotted paths (`http.request.header.cookie`).
   */
  maskValue(value: unknown, path?: string): unknown;
}

/** Compiles the rules once into a masker; the reference semantics every engine follows. */
export function createPiiMasker(rules: PiiRules = PII_RULES): PiiMasker {
  const keyPatterns = rules.keyRules.map((rule) => new RegExp(rule.pattern, rule.caseInsensitive ? 'i' : ''));
  const valuePatterns = rules.valueRules.map((rule) => ({
    regex: new RegExp(rule.pattern, rule.caseInsensitive ? 'gi' : 'g'),
    validate: rule.validator === 'luhn' ? luhnValid : undefined,
  }));
  // One case-insensitive pass over every rule's hint: a string containing none of them cannot
  // match any rule and needs no further work.
  const anyValueRule =
    rules.valueRules.length === 0
      ? undefined
      : new RegExp(rules.valueRules.map((rule) => rule.hint).join('|'), 'i');
  const neverMasked = new Set(rules.neverMaskedKeys);
  // Objects on the way to a never-masked field (`api_key` above `api_key.hash`) are walked into
  // rather than masked whole by a key rule.
  const neverMaskedParents = new Set<string>();
  for (const key of rules.neverMaskedKeys) {
    const parts = key.split('.');
    for (let end = 1; end < parts.length; end++) neverMaskedParents.add(parts.slice(0, end).join('.'));
  }

  // Field paths repeat endlessly (the same few keys on every record): decide each once.
  const keyDecisions = new Map<string, boolean>();
  const isSensitiveKey = (key: string): boolean => {
    let decision = keyDecisions.get(key);
    if (decision === undefined) {
      decision = !neverMasked.has(key) && keyPatterns.some((pattern) => pattern.test(key));
      if (keyDecisions.size < 10_000) keyDecisions.set(key, decision);
    }
    return decision;
  };

  const maskString = (value: string): string => {
    if (anyValueRule === undefined || !anyValueRule.test(value)) return value;
    let out = value;
    for (const { regex, validate } of valuePatterns) {
      regex.lastIndex = 0;
      if (!regex.test(out)) continue;
      regex.lastIndex = 0;
      out = out.replace(regex, (match) => (validate === undefined || validate(match) ? PII_MASK : match));
    }
    return out;
  };

  // Copy-on-write: containers are copied only when something inside them changed. Cycles and
  // structures deeper than MAX_DEPTH are cut (replaced by a marker), never followed forever.
  const ancestors = new Set<object>();
  const maskValue = (value: unknown, path = '', depth = 0): unknown => {
    if (path !== '' && neverMasked.has(path)) return value;
    const walkInto = neverMaskedParents.has(path) && value !== null && typeof value === 'object';
    if (path !== '' && !walkInto && isSensitiveKey(path))
      return value === undefined || value === null ? value : PII_MASK;
    if (typeof value === 'string') return maskString(value);
    if (value === null || typeof value !== 'object') return value;
    if (ancestors.has(value)) return CYCLE_MARKER;
    if (depth >= MAX_DEPTH) return DEPTH_MARKER;
    ancestors.add(value);
    try {
      if (Array.isArray(value)) {
        let out: unknown[] | undefined;
        value.forEach((item: unknown, index) => {
          const masked = maskValue(item, path, depth + 1);
          if (masked !== item) (out ??= [...(value as unknown[])])[index] = masked;
        });
        return out ?? value;
      }
      let out: Record<string, unknown> | undefined;
      for (const key in value) {
        if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
        const child = (value as Record<string, unknown>)[key];
        const masked = maskValue(child, path === '' ? key : `${path}.${key}`, depth + 1);
        if (masked !== child) setOwn((out ??= { ...(value as Record<string, unknown>) }), key, masked);
      }
      return out ?? value;
    } finally {
      ancestors.delete(value);
    }
  };

  return { isSensitiveKey, maskString, maskValue };
}

/**
 * Strings the PII value rules must mask (with the rule that must catch them) and strings they
 * must leave alone. Card numbers are the networks' published test numbers.
 */
export interface Positive {
  readonly text: string;
  readonly rule: string;
  /** The text after masking. */
  readonly masked: string;
}

export const POSITIVES: readonly Positive[] = [
  { text: 'contact john.doe@example.com now', rule: 'email', masked: 'contact **** now' },
  { text: 'user=Ann_O+tag@mail.co.uk', rule: 'email', masked: 'user=****' },
  { text: 'call +1 415 555 2671 today', rule: 'phone-international', masked: 'call **** today' },
  { text: '+44 20 7946 0958', rule: 'phone-international', masked: '****' },
  { text: 'tel:+14155552671', rule: 'phone-international', masked: 'tel:****' },
  { text: 'phone (415) 555-2671', rule: 'phone-nanp', masked: 'phone ****' },
  { text: 'phone 415.555.2671.', rule: 'phone-nanp', masked: 'phone ****.' },
  { text: 'card 4111 1111 1111 1111 declined', rule: 'payment-card', masked: 'card **** declined' },
  { text: 'pan=4012888888881881', rule: 'payment-card', masked: 'pan=****' },
  { text: 'mc 5555-5555-5555-4444', rule: 'payment-card', masked: 'mc ****' },
  { text: 'amex 378282246310005', rule: 'payment-card', masked: 'amex ****' },
  { text: 'discover 6011111111111117', rule: 'payment-card', masked: 'discover ****' },
  { text: 'mc2 2223003122003222', rule: 'payment-card', masked: 'mc2 ****' },
  {
    text: 'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end',
    rule: 'jwt',
    masked: 'jwt **** end',
  },
  {
    text: 'Authorization: Bearer abcdefghijklmnop1234567890',
    rule: 'bearer-token',
    masked: 'Authorization: ****',
  },
  { text: 'sent BEARER AbC.dEf-GhI_jKl~mNo+pQr/sTu= ok', rule: 'bearer-token', masked: 'sent **** ok' },
  { text: 'key sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345', rule: 'api-key', masked: 'key ****' },
  { text: 'anthropic sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv', rule: 'api-key', masked: 'anthropic ****' },
  {
    text: 'airtable patAbCdEfGhIjKlMn.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    rule: 'api-key',
    masked: 'airtable ****',
  },
  { text: 'google AIzaSyA-1234567890abcdefghijklmnopqrstu', rule: 'api-key', masked: 'google ****' },
  { text: 'aws AKIAIOSFODNN7EXAMPLE', rule: 'api-key', masked: 'aws ****' },
  { text: 'gh ghp_0123456789abcdefghijABCDEFGHIJ012345', rule: 'api-key', masked: 'gh ****' },
  { text: 'slack xoxb-1234567890-abcdefghij', rule: 'api-key', masked: 'slack ****' },
  {
    text: 'hook https://hooks.slack.com/services/T000/B000/XXXXXXXX',
    rule: 'api-key',
    masked: 'hook https://****',
  },
  { text: 'stripe sk_live_0123456789abcdefABCD', rule: 'api-key', masked: 'stripe ****' },
  // Credentials in URLs: the match runs from `://` to the authority's last `@`.
  {
    text: 'dsn postgres://app:hunter2@db:5432/x',
    rule: 'url-credentials',
    masked: 'dsn postgres****db:5432/x',
  },
  { text: 'redis://:s3cr3t@cache:6379/0', rule: 'url-credentials', masked: 'redis****cache:6379/0' },
  {
    text: 'clone https://deploy:p@ss:w0rd@git.example.com/repo.git failed',
    rule: 'url-credentials',
    masked: 'clone https****git.example.com/repo.git failed',
  },
  // A password the e-mail rule would only half take (`!` is not in an address).
  {
    text: 'amqp://guest:s3cr!t@mq.example.com/vhost',
    rule: 'url-credentials',
    masked: 'amqp****mq.example.com/vhost',
  },
  // Secrets assigned in free text: the name goes with the value.
  {
    text: 'login failed password=hunter2 for user 42',
    rule: 'secret-assignment',
    masked: 'login failed **** for user 42',
  },
  { text: 'Secret: s3cr3t-value', rule: 'secret-assignment', masked: '****' },
  {
    text: 'GET /callback?code=abc&token=0123abcd&state=x',
    rule: 'secret-assignment',
    masked: 'GET /callback?code=abc&****&state=x',
  },
  { text: 'client_secret="correct horse battery" ok', rule: 'secret-assignment', masked: 'client_**** ok' },
  {
    text: 'body {"password":"hunter2","user":"ann"}',
    rule: 'secret-assignment',
    masked: 'body {****,"user":"ann"}',
  },
  {
    text: 'Server=db;User Id=app;Password=Pa55w0rd!;',
    rule: 'secret-assignment',
    masked: 'Server=db;User Id=app;****;',
  },
  {
    text: 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    rule: 'secret-assignment',
    masked: 'AWS_****',
  },
  { text: "x-api-key: 'abc123'", rule: 'secret-assignment', masked: 'x-****' },
  { text: 'passphrase = opensesame', rule: 'secret-assignment', masked: '****' },
  // Airtable legacy API keys.
  { text: 'airtable keyAbCdEfGh123456 used', rule: 'airtable-legacy-key', masked: 'airtable **** used' },
  { text: 'api_key=key0123456789abcd', rule: 'airtable-legacy-key', masked: '****' },
];

/** Identifier-shaped and ordinary values that no rule may touch. */
export const NEGATIVES: readonly string[] = [
  // Trace and span ids, including all-digit and card-prefixed ones.
  '4bf92f3577b34da6a3ce929d0e0e4736',
  '00f067aa0ba902b7',
  '41111111111111111111111111111111',
  '4111111111111111abcdef0123456789',
  'traceparent 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  // UUIDs.
  '550e8400-e29b-41d4-a716-446655440000',
  '12345678-1234-1234-1234-123456789012',
  '123e4567-e89b-12d3-a456-426614174000',
  // Timestamps.
  '2024-01-15T10:30:00.000Z',
  '2024-01-15 10:30:00',
  '2024-01-15T10:30:00+05:30',
  '1700000000000',
  '1732723200000000000',
  // Version strings.
  '1.2.3',
  'v20.19.43',
  '2.42.0+ds-5+deb12u1',
  '0.159.0',
  // 16-digit numbers failing Luhn, and card-prefixed ones failing Luhn.
  '1234567890123456',
  '4111111111111112',
  '5555 5555 5555 4445',
  // Ordinary text and ids.
  'GET /api/bases/:baseId/records 200 45ms',
  'appXYZ123abc456de recAbCdEf12345678',
  'gen_ai.usage.input_tokens=1234',
  'Bearer tokens expire hourly',
  'ip 192.168.100.200 port 8080',
  'order 12345 shipped in 3 boxes',
  'risk-assessment-2024-12-31-final-report',
  'user@localhost',
  'price $1,234.56',
  'task-0123456789abcdefghijklmnop',
  // Identifiers that begin or end like an Airtable legacy key, and keys that are not secrets.
  'keyboard_layout_en',
  'monkey123456789012',
  'keyAbCdEfGh12345',
  'keyAbCdEfGh1234567',
  'key_id=42',
  'cache key=user:42 hit',
  // URLs without credentials, and an image digest (`:tag@sha256`) that is not one.
  'https://example.com/a?b=c',
  'http://host:8080/path',
  'http://[::1]:8080/health',
  'https://example.com/users/@ann',
  'image ghcr.io/org/app:1.2.3@sha256:0123abcd',
  // Prose about passwords and tokens, and names that only begin like a secret's.
  'Please reset your password tomorrow',
  'password reset email sent',
  'password_reset=true passwordless=true',
  'max_tokens: 1024',
  'token_type=Bearer',
  'secrets: 3',
];

/** Keys whose values are masked whole, and keys that must not be. */
export const SENSITIVE_KEYS: readonly string[] = [
  'password',
  'user.password',
  'newPassword',
  'passwd',
  'db_pwd',
  'client_secret',
  'secretKey',
  'access_token',
  'refreshToken',
  'x-auth-token',
  'authorization',
  'http.request.header.authorization',
  'Proxy-Authorization',
  'x-api-key',
  'apiKey',
  'api_key',
  'cookie',
  'set-cookie',
  'session_id',
  'sessionId',
  'private_key',
  'aws_credentials',
  'database_url',
  'connection_string',
  'sentry.dsn',
  'card_number',
  'cardNumber',
  'cvv',
  'payment.cvc',
  'ssn',
  'user.ssn',
];

export const ORDINARY_KEYS: readonly string[] = [
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.token.type',
  'max_tokens',
  'trace.id',
  'trace.span_id',
  'pyairtable.api_key.hash',
  'api_key.hash',
  'http.route',
  'service.version',
  'span',
  'message',
  'user.id',
  'sessions_active',
  'classname',
];

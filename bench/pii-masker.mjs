// The contract's PII masker over a realistic log corpus: most lines carry no PII, some carry
// e-mails, phone numbers, card numbers, tokens and keys. Reports MB/s for free-text scrubbing
// and records/s for whole structured records.
//
//   npm run build && node bench/pii-masker.mjs
import { createPiiMasker } from '@pyairtable/conventions';
import { compare, report } from './harness.mjs';

const ordinary = [
  'GET /api/bases/:baseId/records 200 45ms',
  'workflow sync-base finished in 1.2 s (3 steps, 0 retries)',
  'cache miss for key records:appXYZ123abc456de:tbl1 after 2024-01-15T10:30:00.000Z',
  'trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7 exported',
  'connected to postgresql at 10.0.0.5:5432 (pool main, 10 connections, version 15.18)',
  'model gpt-4o-mini used 1234 input and 321 output tokens',
];
const sensitive = [
  'password reset requested by jane.doe@example.com from +44 20 7946 0958',
  'payment with card 4111 1111 1111 1111 declined for order 12345',
  'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  'retrying with key sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345',
];
// One line in ten carries PII.
const lines = Array.from({ length: 10_000 }, (_, index) =>
  index % 10 === 0 ? sensitive[index % sensitive.length] : ordinary[index % ordinary.length],
);
const bytes = lines.reduce((sum, line) => sum + Buffer.byteLength(line), 0);
const records = lines.map((line, index) => ({
  message: line,
  http: { method: 'GET', route: '/api/x', status_code: 200 },
  user: { id: `usr_${index}` },
  attributes: { attempt: 1, note: line },
}));

const masker = createPiiMasker();
const time = (fn) => {
  const started = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - started) / 1e9;
};

const medians = await compare({
  'maskString, MB/s': () => bytes / 1e6 / time(() => lines.forEach((line) => masker.maskString(line))),
  'maskValue, records/s': () =>
    records.length / time(() => records.forEach((record) => masker.maskValue(record))),
});
report(
  `PII masker over ${lines.length} log lines (${(bytes / 1e6).toFixed(2)} MB, 10% with PII)`,
  medians,
  '',
);

/**
 * The logger checks record parts with Ajv validators compiled from the contract's zod schemas
 * (several times faster on the hot path). They must give the zod schemas' answers: every
 * candidate value below is tried as every part, and both must agree.
 */
import { describe, expect, it } from 'vitest';
import type { LogRecordPart } from '@pyairtable/conventions';
import { LOG_RECORD_PARTS } from '@pyairtable/conventions';
import { compileAllPartsCheck, compilePartChecks } from '../src/log-parts.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const VALID: Readonly<Record<LogRecordPart, unknown>> = {
  trace: { id: TRACE, span_id: '00f067aa0ba902b7' },
  http: { method: 'GET', route: '/api/records', status_code: 200, response_time_ms: 12.5 },
  cost: { center: 'gateway', weight: 2 },
  error: { type: 'TypeError', message: 'x is undefined', stack: 'at y' },
  user: { id: 'usr_42' },
  tenant: { id: 'tenant-7' },
  api_key: { hash: 'a'.repeat(64) },
  event: { action: 'user.login', outcome: 'failure', reason: 'bad password' },
  attributes: { request_id: 'r-1', retries: 3, cached: false },
  context: { job_id: 'j-9' },
};

/** Each valid part with one thing wrong, and values of the wrong kind altogether. */
const CANDIDATES: unknown[] = [
  ...Object.values(VALID),
  { id: TRACE },
  { id: TRACE.toUpperCase() },
  { id: `${TRACE}0` },
  { id: TRACE, span_id: '0' },
  { id: TRACE, extra: 1 },
  { method: 'GET' },
  { method: 'get' },
  { method: 'BREW' },
  { method: 'GET', status_code: 200.5 },
  { method: 'GET', status_code: 99 },
  { method: 'GET', status_code: 600 },
  { method: 'GET', status_code: '200' },
  { method: 'GET', response_time_ms: -1 },
  { method: 'GET', response_time_ms: Number.NaN },
  { method: 'GET', response_time_ms: Number.POSITIVE_INFINITY },
  { method: 'GET', route: '' },
  { center: 'gateway', weight: -0.5 },
  { center: 'nowhere', weight: 1 },
  { center: 'gateway' },
  { type: '', message: 'm' },
  { type: 'E', message: 3 },
  { id: '' },
  { id: 42 },
  { hash: 'A'.repeat(64) },
  { hash: 'a'.repeat(63) },
  { action: 'User.Login', outcome: 'failure' },
  { action: 'user.login', outcome: 'maybe' },
  { action: 'user.login', outcome: 'success', reason: '' },
  { nested: { not: 'flat' } },
  { list: [1, 2] },
  { 'Bad Key': 1 },
  { value: null },
  {},
  [],
  null,
  'text',
  7,
  true,
  undefined,
];

describe('compiled record-part checks', () => {
  const checks = compilePartChecks();
  const all = compileAllPartsCheck();
  const zod = (part: LogRecordPart, value: unknown): boolean =>
    LOG_RECORD_PARTS[part].safeParse(value).success;

  it('give the zod schemas’ answer for every candidate as every part', () => {
    let accepted = 0;
    for (const part of Object.keys(LOG_RECORD_PARTS) as LogRecordPart[])
      for (const [index, value] of CANDIDATES.entries()) {
        const expected = zod(part, value);
        if (expected) accepted++;
        expect(checks[part](value), `${part} ← candidate ${String(index)}: ${JSON.stringify(value)}`).toBe(
          expected,
        );
      }
    // The corpus has both answers for the parts.
    expect(accepted).toBeGreaterThan(Object.keys(VALID).length);
  });

  it('check a whole set of fields as the parts do one by one', () => {
    const sets: Record<string, unknown>[] = [
      { ...VALID },
      { http: VALID.http, user: VALID.user },
      { http: { method: 'GET', status_code: 200.5 }, user: VALID.user },
      { http: VALID.http, unknown_field: 1 },
      {},
      { trace: { id: TRACE }, attributes: { nested: { x: 1 } } },
    ];
    for (const set of sets) {
      const expected = Object.entries(set).every(
        ([key, value]) => key in LOG_RECORD_PARTS && zod(key as LogRecordPart, value),
      );
      expect(all(set), JSON.stringify(set)).toBe(expected);
    }
  });
});

/**
 * Every place that writes a key from outside into an object, fed the keys that reach
 * Object.prototype: the process-wide prototype stays clean and the data is kept or refused,
 * never written through. One row per setter in the repository.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  LOG_FIELDS,
  RESOURCE_ATTRIBUTES,
  createPiiMasker,
  setDottedPath,
  setOwn,
} from '@pyairtable/conventions';
import { logsFromRequest, metricsFromRequest } from '@pyairtable/hub';

const POLLUTING_KEYS = [
  '__proto__.polluted',
  'trace.__proto__.polluted',
  'trace.constructor.prototype.polluted',
  'http.__proto__',
  '__proto__',
  'constructor',
];

const prototypeIsClean = (): boolean =>
  !('polluted' in {}) && Object.getOwnPropertyNames(Object.prototype).every((name) => name !== 'polluted');

const logRequest = (key: string): object => ({
  resourceLogs: [
    {
      resource: { attributes: [{ key: RESOURCE_ATTRIBUTES.serviceName, value: { stringValue: 'probe' } }] },
      scopeLogs: [
        {
          logRecords: [
            {
              timeUnixNano: '1764500000000000000',
              body: { stringValue: 'hello' },
              attributes: [
                { key: LOG_FIELDS.serviceTier, value: { stringValue: 'platform' } },
                { key, value: { stringValue: 'yes' } },
              ],
            },
          ],
        },
      ],
    },
  ],
});

afterEach(() => {
  // A failing case must not poison the cases after it.
  delete (Object.prototype as Record<string, unknown>)['polluted'];
});

describe.each(POLLUTING_KEYS)('key %s', (key) => {
  it('setDottedPath refuses a path through a prototype, or sets an own property', () => {
    const target: Record<string, unknown> = {};
    const set = setDottedPath(target, key, 'yes');
    expect(prototypeIsClean()).toBe(true);
    if (set) expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(set).toBe(!/(^|\.)(__proto__|constructor|prototype)(\.|$)/.test(key));
  });

  it('setOwn keeps the key as data', () => {
    const target: Record<string, unknown> = {};
    setOwn(target, key, 'yes');
    expect(Object.getOwnPropertyDescriptor(target, key)?.value).toBe('yes');
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(prototypeIsClean()).toBe(true);
  });

  it("the hub's OTLP log decoder keeps the record and the prototype clean", () => {
    const decoded = logsFromRequest(logRequest(key));
    expect(prototypeIsClean()).toBe(true);
    expect(decoded.rejected + decoded.records.length).toBe(1);
    // The next, ordinary record still decodes (the defect refused every later record).
    const ordinary = logsFromRequest(logRequest('attributes.plan'));
    expect(ordinary.rejectReason).toBeUndefined();
    expect(ordinary.records).toHaveLength(1);
  });

  it("the hub's OTLP metric decoder keeps the prototype clean", () => {
    const decoded = metricsFromRequest({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'probe',
                  gauge: {
                    dataPoints: [{ asDouble: 1, attributes: [{ key, value: { stringValue: 'yes' } }] }],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    expect(prototypeIsClean()).toBe(true);
    expect(decoded.points).toHaveLength(1);
  });

  it('the PII masker masks under the key as an own property', () => {
    const masker = createPiiMasker();
    const value = JSON.parse(`{${JSON.stringify(key)}: {"password": "hunter2"}}`) as Record<string, unknown>;
    const masked = masker.maskValue(value) as Record<string, unknown>;
    expect(prototypeIsClean()).toBe(true);
    expect(JSON.stringify(masked)).not.toContain('hunter2');
    expect(Object.getPrototypeOf(masked)).toBe(Object.prototype);
  });
});

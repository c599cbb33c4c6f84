import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRIC_CATALOG, contractReference } from '@pyairtable/conventions';

describe('docs/conventions.md', () => {
  it('is exactly what the contract generates (run `npm run docs` after changing the contract)', () => {
    const committed = readFileSync(new URL('../../../docs/conventions.md', import.meta.url), 'utf8');
    expect(committed).toBe(contractReference());
  });

  it('lists every metric', () => {
    const reference = contractReference();
    for (const metric of METRIC_CATALOG) expect(reference).toContain(`\`${metric.name}\``);
  });
});

/**
 * The collector's own judgement of a `tls` block (configtls, reference data): the schema's
 * types, and no key it does not define (the schema leaves them open; the collector's decoder
 * refuses them). Jaeger v2 reads its `tls` blocks through the same package.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import { readReference } from './reference.js';

const configtls = JSON.parse(readReference('otelcol-configtls-0.159.0.schema.json')) as {
  $defs: Record<string, { properties?: Record<string, unknown>; allOf?: { properties?: object }[] }>;
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(configtls, 'configtls');
function knownKeys(definition: 'server_config' | 'client_config'): string[] {
  const entry = configtls.$defs[definition];
  return [
    ...Object.keys(entry?.properties ?? {}),
    ...(entry?.allOf ?? []).flatMap((part) => Object.keys(part.properties ?? {})),
  ];
}
export function expectConfigTls(
  value: unknown,
  definition: 'server_config' | 'client_config',
  where: string,
): void {
  const validate = ajv.getSchema(`configtls#/$defs/${definition}`);
  expect(validate?.(value), `${where}: ${JSON.stringify(validate?.errors)}`).toBe(true);
  expect(
    Object.keys(value as object).filter((key) => !knownKeys(definition).includes(key)),
    where,
  ).toEqual([]);
}

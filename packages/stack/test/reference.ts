/** Reference data kept in `packages/stack/reference/` (sources and licences in its README). */
import { readFileSync } from 'node:fs';

export function readReference(name: string): string {
  return readFileSync(new URL(`../reference/${name}`, import.meta.url), 'utf8');
}

export interface CollectorComponents {
  readonly version: string;
  readonly components: Readonly<Record<string, readonly string[]>>;
}

export const COLLECTOR_COMPONENTS = JSON.parse(
  readReference('otelcol-contrib-0.159.0-components.json'),
) as CollectorComponents;

/** A hub on free loopback ports in a fresh data directory, for one describe block. */
import { afterAll, beforeAll } from 'vitest';
import { tempDir } from '@pyairtable/test-support';
import type { Hub, HubOptions } from '@pyairtable/hub';
import { startHub } from '@pyairtable/hub';

export interface HubHarness {
  /** Started before the block's own `beforeAll` hooks run. */
  hub: Hub;
  readonly dataDir: string;
}

/** Every listener on a free port, so test files run side by side. */
export const FREE_PORTS = { otlpHttpPort: 0, otlpGrpcPort: 0, prometheusPort: 0, queryPort: 0 } as const;

export function useHub(name: string, options: Omit<HubOptions, 'dataDir'> = {}): HubHarness {
  const dir = tempDir(name);
  const harness = { dataDir: dir.path } as HubHarness;
  beforeAll(async () => {
    harness.hub = await startHub({ ...FREE_PORTS, ...options, dataDir: dir.path });
  });
  afterAll(async () => {
    await harness.hub.close();
    dir.cleanup();
  });
  return harness;
}

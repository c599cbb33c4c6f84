import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources of the workspace packages (their `source` export
// condition), never a stale dist/.
const conditions = ['source', 'node', 'development'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Engine tests start real processes; two cores, so keep timeouts generous.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll waits for data moving through real processes (the UI's searches, a sampled
    // trace arriving): one second, the default, is too short on a loaded two-core machine.
    expect: { poll: { timeout: 10_000, interval: 100 } },
    reporters: ['default'],
  },
});

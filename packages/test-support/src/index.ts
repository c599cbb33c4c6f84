/**
 * Finding the real engines the tests run. In CI (`CI` set) a missing engine fails the test
 * that needs it; on a developer machine the test is skipped with the install command, so
 * `npm test` still passes on a fresh clone without root.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Engine {
  /** Executable name on PATH. */
  readonly command: string;
  /** Debian package that provides it. */
  readonly debianPackage: string;
}

export const ENGINES = {
  promtool: { command: 'promtool', debianPackage: 'prometheus' },
  prometheus: { command: 'prometheus', debianPackage: 'prometheus' },
  amtool: { command: 'amtool', debianPackage: 'prometheus-alertmanager' },
  alertmanager: { command: 'prometheus-alertmanager', debianPackage: 'prometheus-alertmanager' },
  // Runs the Logstash ruby-filter script (Logstash itself is not packaged for Debian).
  ruby: { command: 'ruby', debianPackage: 'ruby' },
  shellcheck: { command: 'shellcheck', debianPackage: 'shellcheck' },
  bash: { command: 'bash', debianPackage: 'bash' },
  curl: { command: 'curl', debianPackage: 'curl' },
  nodeExporter: { command: 'prometheus-node-exporter', debianPackage: 'prometheus-node-exporter' },
  redis: { command: 'redis-server', debianPackage: 'redis-server' },
  redisExporter: { command: 'prometheus-redis-exporter', debianPackage: 'prometheus-redis-exporter' },
  postgresExporter: {
    command: 'prometheus-postgres-exporter',
    debianPackage: 'prometheus-postgres-exporter',
  },
  // The browser tests drive Debian's Chromium with playwright-core.
  chromium: { command: 'chromium', debianPackage: 'chromium' },
} as const satisfies Record<string, Engine>;

export const inCi = (): boolean => {
  const value = process.env['CI'];
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
};

export function isInstalled(engine: Engine): boolean {
  const probe = spawnSync('sh', ['-c', `command -v ${engine.command}`], { encoding: 'utf8' });
  return probe.status === 0 && probe.stdout.trim() !== '';
}

/**
 * Whether tests needing `engine` can run. Throws in CI when it is missing; elsewhere prints
 * the install command once and returns false so the caller can skip.
 */
export function engineAvailable(engine: Engine): boolean {
  if (isInstalled(engine)) return true;
  const advice = `${engine.command} is not installed: apt-get install ${engine.debianPackage} (or run bash .ci/run)`;
  if (inCi()) throw new Error(`${advice}. Engine tests never skip in CI.`);
  console.warn(`skipping tests that need ${advice}`);
  return false;
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs an engine command to completion with a deadline. */
export function runEngine(
  engine: Engine,
  args: readonly string[],
  options: { input?: string; cwd?: string } = {},
): RunResult {
  const result = spawnSync(engine.command, args, {
    encoding: 'utf8',
    input: options.input,
    cwd: options.cwd,
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return {
    path,
    cleanup: () => {
      rmSync(path, { recursive: true, force: true });
    },
  };
}

export { startOtlpReceiver, attributeMap } from './otlp-receiver.js';
export type { OtlpReceiver, ReceivedSpan, ReceivedLog, AttributeValue } from './otlp-receiver.js';
export { captureLines } from './lines.js';
export type { LineCapture } from './lines.js';
export { parseExposition, sampleValue } from './exposition.js';
export type { Exposition, Sample } from './exposition.js';
export { startOtlpGrpcReceiver } from './otlp-grpc-receiver.js';
export type { OtlpGrpcReceiver } from './otlp-grpc-receiver.js';
export { plainFetch } from './plain-fetch.js';
export { POSITIVES, NEGATIVES, SENSITIVE_KEYS, ORDINARY_KEYS } from './pii-corpus.js';
export type { Positive } from './pii-corpus.js';
export { launchChromium, CHROMIUM_PATH } from './browser.js';
export { freePort } from './ports.js';

/**
 * Warnings the SDK reports about its own trouble: each distinct one once per process, on
 * stderr, so that a misconfigured environment or a dead collector is visible without flooding
 * the service's own output (stdout carries its JSON logs).
 */

const seen = new Set<string>();
const MAX_DISTINCT_WARNINGS = 200;
let sink: (message: string) => void = (message) => {
  process.stderr.write(`[pyairtable-telemetry] ${message}\n`);
};

/** Reports `message` the first time `key` is seen. */
export function warnOnce(key: string, message: string): void {
  if (seen.has(key)) return;
  // Keys can carry dynamic text (error messages, model names); past this many, stay quiet.
  if (seen.size >= MAX_DISTINCT_WARNINGS) return;
  seen.add(key);
  try {
    sink(message);
  } catch {
    // A broken stderr must not become the host's problem.
  }
}

/** Redirects warnings (tests capture them); returns a function restoring the previous sink. */
export function setWarningSink(next: (message: string) => void): () => void {
  const previous = sink;
  sink = next;
  return () => {
    sink = previous;
  };
}

/** Forgets which warnings were given (tests; a new `initTelemetry` after `shutdown`). */
export function resetWarnings(): void {
  seen.clear();
}

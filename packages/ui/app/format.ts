/** Numbers as people read them. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms.toFixed(0)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

export const percent = (ratio: number): string =>
  Number.isFinite(ratio) ? `${(ratio * 100).toFixed(1)}%` : '–';
export const rate = (perSecond: number): string =>
  `${perSecond < 10 ? perSecond.toFixed(2) : perSecond.toFixed(0)}/s`;

/** Nanoseconds since the epoch (a decimal string) as milliseconds. */
export const nsToMs = (ns: string | number | bigint): number => Number(BigInt(ns) / 1000n) / 1000;

export function time(ms: number): string {
  return (
    new Date(ms).toLocaleTimeString(undefined, { hour12: false }) +
    `.${String(Math.floor(ms % 1000)).padStart(3, '0')}`
  );
}

/**
 * Durations in Prometheus and Alertmanager syntax, scaled: the model's time scale (1 in every
 * deployment) lets tests run the real rules and routes with minutes turned into seconds,
 * through the model rather than by editing rendered files.
 */
export function scaledDuration(seconds: number, scale = 1): string {
  const scaled = seconds * scale;
  if (scaled === 0) return '0s';
  if (Number.isInteger(scaled)) {
    if (scaled % 3600 === 0) return `${String(scaled / 3600)}h`;
    if (scaled % 60 === 0) return `${String(scaled / 60)}m`;
    return `${String(scaled)}s`;
  }
  return `${String(Math.max(1, Math.round(scaled * 1000)))}ms`;
}

// Side-by-side timing: every case runs in the same process, interleaved round by round so
// machine drift hits all alike; the median of the rounds is reported, with ratios.

/** Runs `fn` `iterations` times and returns operations per second. */
export function opsPerSecond(fn, iterations) {
  const started = process.hrtime.bigint();
  for (let index = 0; index < iterations; index++) fn(index);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return iterations / seconds;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * cases: { name: () => opsPerSecond-like number }. Returns { name: median } after `rounds`
 * interleaved rounds (the first, a warm-up, is discarded).
 */
export async function compare(cases, { rounds = 5 } = {}) {
  const results = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (let round = 0; round <= rounds; round++) {
    const names = Object.keys(cases);
    if (round % 2 === 1) names.reverse();
    for (const name of names) {
      const value = await cases[name]();
      if (round > 0) results[name].push(value);
    }
  }
  return Object.fromEntries(Object.entries(results).map(([name, values]) => [name, median(values)]));
}

export function report(title, medians, unit, baseline) {
  console.log(`\n${title}`);
  for (const [name, value] of Object.entries(medians)) {
    const ratio = baseline === undefined ? '' : `   ${(value / medians[baseline]).toFixed(2)}x ${baseline}`;
    console.log(`  ${name.padEnd(34)} ${value.toFixed(value < 100 ? 1 : 0).padStart(12)} ${unit}${ratio}`);
  }
}

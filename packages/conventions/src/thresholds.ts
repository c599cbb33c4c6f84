/**
 * Latency thresholds the spec states, shared by the histogram buckets (each is a bucket
 * boundary, so an alert decides exactly at it instead of interpolating inside a bucket), the
 * tail sampler's "slow request" rule and the alert rules.
 */

/** Spec: HighResponseTime fires when the 95th percentile exceeds 2 seconds. */
export const SLOW_REQUEST_SECONDS = 2;

/** Spec: SlowDatabaseQueries fires when query time exceeds 1 second. */
export const SLOW_QUERY_SECONDS = 1;

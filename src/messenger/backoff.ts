/** Retry policy of the outbox: exponential backoff with jitter, capped. */
export interface BackoffPolicy {
  /** First retry delay. @default 1_000 */
  baseMs: number
  /** Longest delay. @default 300_000 (5 minutes) */
  capMs: number
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 5 * 60_000 }

/**
 * Delay before attempt number `attempts + 1`: base × 2^attempts, capped, with "equal jitter"
 * (half fixed, half random) so retries of many messages spread out but never come sooner than
 * half the nominal delay.
 */
export function backoffDelay(attempts: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random = Math.random): number {
  const nominal = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempts, 30))
  return Math.round(nominal / 2 + (random() * nominal) / 2)
}

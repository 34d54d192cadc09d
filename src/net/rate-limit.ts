/**
 * A token bucket per key (`perSecond` tokens a second, at most `burst` saved up), plus at most
 * `burst` in any one-second window: a flood gets at most `burst` in its first second (a bare
 * bucket would let burst + perSecond through), then `perSecond` a second (reliability.md T4.3).
 */
export interface RateLimiter {
  /** Take one token for `key`; returns 0 if allowed, else the milliseconds until a token is free. */
  take(key: string, now?: number): number
  /** Forget keys idle long enough to have a full bucket (bounds memory). */
  prune(now?: number): void
  readonly size: number
}

export interface RateLimiterInit {
  perSecond: number
  burst: number
  /** Most keys tracked; the least recently used is forgotten beyond it. @default 10_000 */
  maxKeys?: number
}

export function createRateLimiter(init: RateLimiterInit): RateLimiter {
  const { perSecond, burst } = init
  const maxKeys = init.maxKeys ?? 10_000
  const buckets = new Map<string, { tokens: number; at: number; windowStart: number; windowCount: number }>()
  const refillMs = (burst / perSecond) * 1000
  return {
    take(key, now = Date.now()) {
      let b = buckets.get(key)
      if (b === undefined) {
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value!)
        b = { tokens: burst, at: now, windowStart: now, windowCount: 0 }
      } else {
        buckets.delete(key)
        b.tokens = Math.min(burst, b.tokens + ((now - b.at) * perSecond) / 1000)
        b.at = now
      }
      buckets.set(key, b)
      if (now - b.windowStart >= 1000) {
        b.windowStart = now
        b.windowCount = 0
      }
      if (b.windowCount >= burst) {
        // a flood does not save up tokens while the window holds it back
        b.tokens = Math.max(0, b.tokens - 1)
        return Math.max(1, b.windowStart + 1000 - now)
      }
      if (b.tokens >= 1) {
        b.tokens -= 1
        b.windowCount++
        return 0
      }
      return Math.ceil(((1 - b.tokens) * 1000) / perSecond)
    },
    prune(now = Date.now()) {
      for (const [key, b] of buckets) if (now - b.at >= refillMs) buckets.delete(key)
    },
    get size() {
      return buckets.size
    }
  }
}

/** Percentile by nearest rank on a sorted copy; undefined for no samples. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]
}

/** p50/p90/p99/max (and mean), rounded to 0.1 ms; null where there are no samples. */
export function distribution(values: readonly number[]): {
  p50: number | null
  p90: number | null
  p99: number | null
  max: number | null
  mean: number | null
} {
  const r = (v: number | undefined): number | null => (v === undefined ? null : Math.round(v * 10) / 10)
  const mean = values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length
  return {
    p50: r(percentile(values, 50)),
    p90: r(percentile(values, 90)),
    p99: r(percentile(values, 99)),
    max: r(values.length === 0 ? undefined : Math.max(...values)),
    mean: r(mean)
  }
}

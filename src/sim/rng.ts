import { createHash } from 'node:crypto'

/** A seeded pseudo-random generator (sfc32): fast, 128-bit state, good enough for simulation. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [0, n). */
  int(n: number): number
  /** Exponentially distributed with this mean. */
  exponential(mean: number): number
  /** `k` distinct indices from [0, n), in random order. */
  sample(n: number, k: number): number[]
  /** Fisher–Yates in place. */
  shuffle<T>(items: T[]): T[]
  /** 32 bytes (e.g. a key seed). */
  bytes32(): Uint8Array
}

/**
 * Derive an independent stream from the run's seed and a label ("workload", "faults", "node/17"),
 * so adding a fault never changes the workload and the other way round.
 */
export function derive(seed: number | string, label: string): Rng {
  const h = createHash('sha256')
    .update(`parley-sim/${String(seed)}/${label}`)
    .digest()
  return sfc32(h.readUInt32LE(0), h.readUInt32LE(4), h.readUInt32LE(8), h.readUInt32LE(12))
}

/** 32 bytes decided by the seed and a label alone (node identity seeds). */
export function deriveBytes(seed: number | string, label: string): Uint8Array {
  return new Uint8Array(
    createHash('sha256')
      .update(`parley-sim/${String(seed)}/bytes/${label}`)
      .digest()
  )
}

function sfc32(a: number, b: number, c: number, d: number): Rng {
  const nextU32 = (): number => {
    a >>>= 0
    b >>>= 0
    c >>>= 0
    d >>>= 0
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return t >>> 0
  }
  // discard the first outputs, as sfc32's authors advise
  for (let i = 0; i < 12; i++) nextU32()
  const rng: Rng = {
    next: () => nextU32() / 4294967296,
    int: (n) => Math.floor(rng.next() * n),
    exponential: (mean) => -Math.log(1 - rng.next()) * mean,
    sample(n, k) {
      const picked = new Set<number>()
      const out: number[] = []
      const want = Math.min(k, n)
      while (out.length < want) {
        const i = rng.int(n)
        if (!picked.has(i)) {
          picked.add(i)
          out.push(i)
        }
      }
      return out
    },
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = rng.int(i + 1)
        const t = items[i]!
        items[i] = items[j]!
        items[j] = t
      }
      return items
    },
    bytes32() {
      const out = new Uint8Array(32)
      const view = new DataView(out.buffer)
      for (let i = 0; i < 8; i++) view.setUint32(i * 4, nextU32())
      return out
    }
  }
  return rng
}

/**
 * A small mutation fuzzer for Parley's decoders (jazzer.js does not load here): random bytes and
 * mutations of valid samples (bit flips, interesting bytes, truncation, extension, splices, CBOR
 * lengths set to 2^32-1 or 2^64-1, deep nesting, duplicated or swapped fields, and the invalid
 * variants of test/helpers/variants.ts). Every input must end in a typed ParleyError (or be
 * accepted), never anything else, and none may take 50 ms or more.
 *
 * FUZZ_SEED replays a run; FUZZ_SCALE multiplies the input counts (nightly runs).
 */
import { fail, ok } from 'node:assert/strict'
import { decodeCanonical } from '../../src/codec/index.ts'
import { ParleyError } from '../../src/errors.ts'
import { concatBytes, toHex } from './bytes.ts'
import { cloneRaw, fromValue, type Raw, writeRaw } from './cbor-raw.ts'
import type { Rng } from './rng.ts'
import type { FieldDesc } from './specs.ts'
import { makeVariant, VARIANT_KINDS } from './variants.ts'

/** The per-input time limit (issue #2). */
export const MAX_INPUT_MS = 50
/** An input slower than this is timed up to four more times and judged (and recorded) by its fastest run. */
const RETIME_MS = 10

export function fuzzCount(n: number): number {
  return Math.round(n * Number(process.env.FUZZ_SCALE ?? 1))
}

const INTERESTING = [
  0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x38, 0x40, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5f, 0x60, 0x78,
  0x7f, 0x80, 0x98, 0x9f, 0xa0, 0xb8, 0xbf, 0xc0, 0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfa, 0xfb, 0xff
]

function randomInput(rng: Rng, cap: number): Uint8Array {
  const r = rng.next()
  const len = r < 0.5 ? rng.int(65) : r < 0.85 ? rng.int(1025) : r < 0.99 ? rng.int(8193) : cap + 1 + rng.int(16)
  const out = rng.bytes(len)
  // often start like a CBOR map or like an envelope, so the decoders get past their first byte
  if (len > 1 && rng.bool(0.5)) out[0] = rng.pick([0x01, 0xa0 + rng.int(8), 0xb8, 0xbf, 0x80 + rng.int(8)])
  return out
}

/** Replace the byte at i with a length head of the same major type announcing 2^32-1 or 2^64-1. */
function hugeLength(rng: Rng, bytes: Uint8Array): Uint8Array {
  const candidates: number[] = []
  for (let i = 0; i < bytes.byteLength; i++) {
    const major = bytes[i]! >> 5
    if (major >= 2 && major <= 5) candidates.push(i)
  }
  if (candidates.length === 0) return bytes
  const i = rng.pick(candidates)
  const major = bytes[i]! >> 5
  const head = rng.bool()
    ? Uint8Array.of((major << 5) | 26, 0xff, 0xff, 0xff, 0xff)
    : Uint8Array.of((major << 5) | 27, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
  const ai = bytes[i]! & 0x1f
  const skip = ai < 24 ? 1 : ai === 24 ? 2 : ai === 25 ? 3 : ai === 26 ? 5 : ai === 27 ? 9 : 1
  return concatBytes(bytes.subarray(0, i), head, bytes.subarray(Math.min(bytes.byteLength, i + skip)))
}

function asMap(bytes: Uint8Array): Extract<Raw, { t: 'map' }> | undefined {
  try {
    const raw = fromValue(decodeCanonical(bytes, 1 << 20))
    return raw.t === 'map' ? raw : undefined
  } catch {
    return undefined
  }
}

/** All Raw nodes of a tree, for picking one to change. */
function nodes(raw: Raw, out: Raw[] = []): Raw[] {
  out.push(raw)
  if (raw.t === 'array') for (const i of raw.items) nodes(i, out)
  if (raw.t === 'map') for (const [k, v] of raw.entries) nodes(k, nodes(v, out))
  if (raw.t === 'tag') nodes(raw.item, out)
  return out
}

function structural(
  rng: Rng,
  map: Extract<Raw, { t: 'map' }>,
  other: Raw | undefined,
  fields?: FieldDesc[]
): Uint8Array {
  if (fields !== undefined && rng.bool(0.4)) {
    const v = makeVariant(map, fields, rng.pick(VARIANT_KINDS), rng)
    if (v !== undefined) return v
  }
  const copy = cloneRaw(map) as Extract<Raw, { t: 'map' }>
  const k = rng.int(5)
  if (k === 0 && copy.entries.length > 0) {
    // duplicate a field (maybe several times)
    const i = rng.int(copy.entries.length)
    for (let n = rng.range(1, 3); n > 0; n--) copy.entries.splice(i, 0, copy.entries[i]!)
  } else if (k === 1 && copy.entries.length > 0) {
    // nest a value in arrays or maps, shallow or very deep
    const e = rng.pick(copy.entries)
    let v = e[1]
    for (let d = rng.bool(0.8) ? rng.range(1, 4) : rng.range(14, 800); d > 0; d--) {
      v = rng.bool() ? { t: 'array', items: [v] } : { t: 'map', entries: [[{ t: 'uint', v: 0n }, v]] }
    }
    e[1] = v
  } else if (k === 2 && other?.t === 'map') {
    // swap in the value of the same key from another sample
    const fallback: [Raw, Raw] = [
      { t: 'uint', v: 0n },
      { t: 'uint', v: 1n }
    ]
    const e: [Raw, Raw] = rng.pick(copy.entries.length > 0 ? copy.entries : [fallback])
    const o = other.entries.find(([key]) => writeRaw(key).join() === writeRaw(e[0]).join())
    if (o !== undefined) e[1] = cloneRaw(o[1])
  } else if (k === 3) {
    // a length that lies (announces more than there is, up to 2^64-1)
    const lengthy = nodes(copy).filter((n) => n.t === 'bytes' || n.t === 'map' || n.t === 'array')
    const n = rng.pick(lengthy) as Extract<Raw, { t: 'bytes' | 'map' | 'array' }>
    const actual = BigInt(n.t === 'bytes' ? n.v.byteLength : n.t === 'map' ? n.entries.length : n.items.length)
    n.len = rng.pick([actual + 1n, actual + 1000n, 0xffffffffn, 0xffffffffffffffffn, 0x7fffffffn])
  } else {
    // replace a random node with another value
    const all = nodes(copy)
    const target = rng.pick(all)
    const replacement: Raw = rng.pick<Raw>([
      { t: 'uint', v: BigInt(rng.int(2 ** 31)) },
      { t: 'uint', v: 2n ** 53n + BigInt(rng.int(10)) },
      { t: 'nint', v: BigInt(rng.int(1000)) },
      { t: 'bytes', v: rng.bytes(rng.int(70)) },
      { t: 'text', v: 'é'.repeat(rng.int(40)) },
      {
        t: 'float',
        v: rng.pick([0, -0, 1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]),
        size: rng.pick([2, 4, 8] as const)
      },
      { t: 'simple', v: rng.pick([20, 21, 22, 23, 16, 255]) },
      { t: 'tag', tag: BigInt(rng.pick([0, 1, 2, 24, 42])), item: { t: 'uint', v: 0n } }
    ])
    Object.assign(target, replacement)
  }
  return writeRaw(copy)
}

export interface Mutator {
  /** One input: random bytes or a mutation of a sample. */
  next(): Uint8Array
}

/** A mutator over valid samples; `fields` enables schema-aware invalid variants. */
export function mutator(rng: Rng, samples: Uint8Array[], cap: number, fields?: FieldDesc[]): Mutator {
  const maps = samples.map(asMap)
  return {
    next() {
      if (samples.length === 0 || rng.bool(0.15)) return randomInput(rng, cap)
      const si = rng.int(samples.length)
      const s = samples[si]!
      const r = rng.int(12)
      switch (r) {
        case 0:
        case 1: {
          const out = Uint8Array.from(s)
          for (let n = rng.pick([1, 1, 1, 2, 3, 8]); n > 0 && out.byteLength > 0; n--) {
            const bit = rng.int(out.byteLength * 8)
            out[bit >> 3]! ^= 1 << (bit & 7)
          }
          return out
        }
        case 2: {
          const out = Uint8Array.from(s)
          for (let n = rng.range(1, 4); n > 0 && out.byteLength > 0; n--) {
            out[rng.int(out.byteLength)] = rng.bool(0.7) ? rng.pick(INTERESTING) : rng.int(256)
          }
          return out
        }
        case 3:
          return s.subarray(0, rng.int(s.byteLength + 1))
        case 4:
          return rng.bool(0.8) ? concatBytes(s, rng.bytes(rng.range(1, 64))) : concatBytes(s, s)
        case 5: {
          const at = rng.int(s.byteLength + 1)
          return rng.bool()
            ? concatBytes(s.subarray(0, at), rng.bytes(rng.range(1, 16)), s.subarray(at))
            : concatBytes(s.subarray(0, at), s.subarray(Math.min(s.byteLength, at + rng.range(1, 16))))
        }
        case 6: {
          const o = rng.pick(samples)
          return concatBytes(s.subarray(0, rng.int(s.byteLength + 1)), o.subarray(rng.int(o.byteLength + 1)))
        }
        case 7:
          return hugeLength(rng, s)
        case 8: {
          // nesting: deep arrays or single-entry maps in front of a sample
          const depth = rng.bool(0.7) ? rng.range(1, 8) : rng.range(500, 20000)
          const unit = rng.bool() ? Uint8Array.of(0x81) : Uint8Array.of(0xa1, 0x00)
          const prefix = new Uint8Array(depth * unit.byteLength)
          for (let i = 0; i < depth; i++) prefix.set(unit, i * unit.byteLength)
          return concatBytes(s.subarray(0, rng.int(2)), prefix, s.subarray(rng.int(2)))
        }
        default: {
          // structure-aware: the sample's CBOR map (after a 1-byte version prefix for envelopes)
          const direct = maps[si]
          const prefixed = direct === undefined && s.byteLength > 1 ? asMap(s.subarray(1)) : undefined
          const map = direct ?? prefixed
          if (map === undefined) return randomInput(rng, cap)
          const body = structural(rng, map, maps[rng.int(samples.length)] ?? undefined, fields)
          return prefixed !== undefined ? concatBytes(s.subarray(0, 1), body) : body
        }
      }
    }
  }
}

export interface FuzzResult {
  inputs: number
  accepted: number
  maxMs: number
  /** The slowest input, for a closer look. */
  slowest?: Uint8Array
  errors: Map<string, number>
}

/**
 * Run `target` on `count` inputs from `next`. Fails on the first error that is not a ParleyError
 * (printing the seed and the input), or on an input that takes MAX_INPUT_MS or more. An input
 * slower than RETIME_MS is timed again and judged by its fastest run, so that a pause of this
 * busy machine (another process, a GC) is not blamed on the input; maxMs is the worst such time.
 */
export async function runFuzz(
  name: string,
  rng: Rng,
  count: number,
  next: () => Uint8Array,
  target: (input: Uint8Array) => unknown,
  /** Called with what the target returned for an accepted input (to check it is genuine). */
  accepted?: (value: unknown, input: Uint8Array) => void
): Promise<FuzzResult> {
  const result: FuzzResult = { inputs: 0, accepted: 0, maxMs: 0, errors: new Map() }
  const once = async (input: Uint8Array): Promise<{ ms: number; error?: unknown; value?: unknown }> => {
    const started = performance.now()
    try {
      let value = target(input)
      if (value instanceof Promise) value = await value
      return { ms: performance.now() - started, value }
    } catch (error) {
      return { ms: performance.now() - started, error }
    }
  }
  for (let i = 0; i < count; i++) {
    const input = next()
    let { ms, error, value } = await once(input)
    if (ms >= RETIME_MS) {
      for (let retry = 0; retry < 4 && ms >= RETIME_MS; retry++) ms = Math.min(ms, (await once(input)).ms)
    }
    result.inputs++
    if (ms > result.maxMs) {
      result.maxMs = ms
      result.slowest = input
    }
    const where = `${name}: FUZZ_SEED=${rng.seed}, input #${i} (${input.byteLength} bytes): ${toHex(input.subarray(0, 96))}${input.byteLength > 96 ? '…' : ''}`
    if (ms >= MAX_INPUT_MS) fail(`${where} took ${ms.toFixed(1)} ms`)
    if (error === undefined) {
      result.accepted++
      try {
        accepted?.(value, input)
      } catch (err) {
        fail(`${where} was accepted but is not genuine: ${(err as Error).message}`)
      }
      continue
    }
    if (!(error instanceof ParleyError))
      fail(`${where} threw a non-Parley error: ${String((error as Error)?.stack ?? error)}`)
    result.errors.set(error.name, (result.errors.get(error.name) ?? 0) + 1)
  }
  ok(result.inputs === count)
  return result
}

export function summary(name: string, r: FuzzResult): string {
  const errs = [...r.errors].sort((a, b) => b[1] - a[1]).map(([n, c]) => `${n} ${c}`)
  return `fuzz ${name}: ${r.inputs} inputs, ${r.accepted} accepted, max ${r.maxMs.toFixed(1)} ms; ${errs.join(', ')}`
}

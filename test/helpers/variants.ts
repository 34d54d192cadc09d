/**
 * Invalid variants of a canonical schema encoding: each one changes the bytes in a way a strict
 * decoder must refuse (non-canonical form, wrong structure or wrong field), and never into another
 * valid encoding.
 */
import { concatBytes } from './bytes.ts'
import { cloneRaw, type Raw, sortEntries, type Width, writeRaw } from './cbor-raw.ts'
import type { Rng } from './rng.ts'
import type { FieldDesc } from './specs.ts'

export const VARIANT_KINDS = [
  'unsorted-keys',
  'wide-int',
  'wide-length',
  'indefinite-map',
  'indefinite-bytes',
  'float',
  'trailing-bytes',
  'duplicate-key',
  'unknown-key',
  'wrong-type',
  'missing-field',
  'wrong-version',
  'tag',
  'bad-length',
  'uint-over-max',
  'lying-length'
] as const
export type VariantKind = (typeof VARIANT_KINDS)[number]

type MapRaw = Extract<Raw, { t: 'map' }>

function minWidth(n: bigint): 0 | 1 | 2 | 4 | 8 {
  return n < 24n ? 0 : n < 0x100n ? 1 : n < 0x10000n ? 2 : n < 0x100000000n ? 4 : 8
}

/** A width strictly wider than the minimal one for n, or undefined if n already needs 8 bytes. */
function widerWidth(n: bigint, rng: Rng): Width | undefined {
  const widths = ([1, 2, 4, 8] as const).filter((w) => w > minWidth(n))
  return widths.length === 0 ? undefined : rng.pick(widths)
}

function keyOf(entry: [Raw, Raw]): number {
  const k = entry[0]
  return k.t === 'uint' ? Number(k.v) : -1
}

/** A value of a CBOR major type different from `raw`'s. */
function otherType(raw: Raw, rng: Rng): Raw {
  const candidates: Raw[] = [
    { t: 'uint', v: BigInt(rng.int(1000)) },
    { t: 'nint', v: BigInt(rng.int(1000)) },
    { t: 'bytes', v: rng.bytes(rng.int(40)) },
    { t: 'text', v: 'x'.repeat(rng.int(40)) },
    { t: 'array', items: [] },
    { t: 'map', entries: [] },
    { t: 'simple', v: rng.pick([20, 21, 22]) },
    { t: 'float', v: 1.5, size: 2 }
  ]
  return rng.pick(candidates.filter((c) => c.t !== raw.t))
}

/**
 * Returns the bytes of one invalid variant of `canonical` (a schema map), or undefined if this kind
 * does not apply to this value (for instance no field to widen).
 */
export function makeVariant(
  canonical: MapRaw,
  fields: FieldDesc[],
  kind: VariantKind,
  rng: Rng
): Uint8Array | undefined {
  const map = cloneRaw(canonical) as MapRaw
  const entries = map.entries
  const fieldByKey = new Map(fields.map((f) => [f.key, f]))
  const fieldEntries = entries.filter((e) => keyOf(e) !== 0)
  const uintEntries = entries.filter((e) => e[1].t === 'uint')
  const bytesEntries = entries.filter((e) => e[1].t === 'bytes')
  switch (kind) {
    case 'unsorted-keys': {
      if (entries.length < 2) return undefined
      const i = rng.int(entries.length - 1)
      ;[entries[i], entries[i + 1]] = [entries[i + 1]!, entries[i]!]
      break
    }
    case 'wide-int': {
      // a map key, the version, or a uint field value
      const heads: Extract<Raw, { t: 'uint' }>[] = []
      for (const [k, v] of entries) {
        if (k.t === 'uint') heads.push(k)
        if (v.t === 'uint') heads.push(v)
      }
      const widenable = heads.filter((h) => widerWidth(h.v, rng) !== undefined)
      if (widenable.length === 0) return undefined
      const h = rng.pick(widenable)
      h.width = widerWidth(h.v, rng)!
      break
    }
    case 'wide-length': {
      const targets: Raw[] = [map, ...bytesEntries.map((e) => e[1])]
      const t = rng.pick(targets) as Extract<Raw, { t: 'map' | 'bytes' }>
      const n = BigInt(t.t === 'map' ? t.entries.length : t.v.byteLength)
      const w = widerWidth(n, rng)
      if (w === undefined) return undefined
      t.width = w
      break
    }
    case 'indefinite-map':
      map.indef = true
      break
    case 'indefinite-bytes': {
      if (bytesEntries.length === 0) return undefined
      const e = rng.pick(bytesEntries)
      const v = (e[1] as Extract<Raw, { t: 'bytes' }>).v
      const cut = rng.int(v.byteLength + 1)
      e[1] = { t: 'bytes', v, chunks: rng.bool() ? [v] : [v.subarray(0, cut), v.subarray(cut)] }
      break
    }
    case 'float': {
      if (uintEntries.length === 0) return undefined
      const e = rng.pick(uintEntries)
      const n = Number((e[1] as Extract<Raw, { t: 'uint' }>).v)
      const sizes = ([2, 4, 8] as const).filter((s) => (s === 2 ? n <= 2048 : s === 4 ? n <= 2 ** 24 : true))
      e[1] = { t: 'float', v: n, size: rng.pick(sizes) }
      break
    }
    case 'trailing-bytes':
      return concatBytes(writeRaw(map), rng.bytes(rng.range(1, 4)))
    case 'duplicate-key': {
      const i = rng.int(entries.length)
      const [k, v] = entries[i]!
      const copy: [Raw, Raw] = [cloneRaw(k), rng.bool() ? cloneRaw(v) : otherType(v, rng)]
      entries.splice(i + 1, 0, copy)
      break
    }
    case 'unknown-key': {
      const used = new Set(fields.map((f) => f.key))
      const choices: Raw[] = [
        { t: 'uint', v: BigInt(rng.range(24, 1_000_000)) },
        { t: 'nint', v: BigInt(rng.int(100)) },
        { t: 'text', v: rng.pick(['', 'a', 'version', '0']) },
        { t: 'bytes', v: rng.bytes(rng.int(3)) }
      ]
      for (let k = 1; k <= 23; k++) if (!used.has(k)) choices.push({ t: 'uint', v: BigInt(k) })
      map.entries = sortEntries([...entries, [rng.pick(choices), { t: 'uint', v: BigInt(rng.int(100)) }]])
      break
    }
    case 'wrong-type': {
      if (fieldEntries.length === 0) return undefined
      const e = rng.pick(fieldEntries)
      e[1] = otherType(e[1], rng)
      break
    }
    case 'missing-field': {
      const required = entries.filter((e) => fieldByKey.get(keyOf(e))?.optional === false)
      if (required.length === 0) return undefined
      const gone = rng.pick(required)
      map.entries = entries.filter((e) => e !== gone)
      break
    }
    case 'wrong-version': {
      const v = entries.find((e) => keyOf(e) === 0)!
      if (rng.bool(0.2)) map.entries = entries.filter((e) => e !== v)
      else v[1] = { t: 'uint', v: BigInt(rng.pick([0, 2, 3, 24, 255, 65536])) }
      break
    }
    case 'tag': {
      const tag = BigInt(rng.pick([0, 1, 2, 24, 55799]))
      if (rng.bool() || fieldEntries.length === 0) return writeRaw({ t: 'tag', tag, item: map })
      const e = rng.pick(fieldEntries)
      e[1] = { t: 'tag', tag, item: e[1] }
      break
    }
    case 'bad-length': {
      const candidates = bytesEntries.filter((e) => {
        const f = fieldByKey.get(keyOf(e))
        return f !== undefined && f.type.kind === 'bytes' && (f.type.min === f.type.max || f.type.max <= 1024)
      })
      if (candidates.length === 0) return undefined
      const e = rng.pick(candidates)
      const f = fieldByKey.get(keyOf(e))!.type as Extract<FieldDesc['type'], { kind: 'bytes' }>
      const lengths = [f.max + 1, f.max + rng.range(2, 40)]
      if (f.min > 0) lengths.push(f.min - 1, rng.int(f.min))
      e[1] = { t: 'bytes', v: rng.bytes(rng.pick(lengths)) }
      break
    }
    case 'uint-over-max': {
      const bounded = uintEntries.filter((e) => {
        const f = fieldByKey.get(keyOf(e))
        return f !== undefined && f.type.kind === 'uint'
      })
      if (bounded.length === 0) return undefined
      const e = rng.pick(bounded)
      const f = fieldByKey.get(keyOf(e))!.type as Extract<FieldDesc['type'], { kind: 'uint' }>
      // above the field's max; above 2^53 cborg refuses the integer itself
      e[1] = { t: 'uint', v: BigInt(f.max) + 1n + BigInt(rng.int(1000)) }
      break
    }
    case 'lying-length': {
      const targets: Raw[] = [map, ...bytesEntries.map((e) => e[1])]
      const t = rng.pick(targets) as Extract<Raw, { t: 'map' | 'bytes' }>
      const n = BigInt(t.t === 'map' ? t.entries.length : t.v.byteLength)
      t.len = rng.pick([n + 1n, n + BigInt(rng.range(2, 1000)), 0xffffffffn, 0xffffffffffffffffn])
      break
    }
  }
  return writeRaw(map)
}

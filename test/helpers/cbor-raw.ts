/**
 * A tiny CBOR writer written independently of cborg and src/codec, for tests: it writes canonical
 * CBOR (to cross-check the codec) and, on request, every non-canonical form the codec must refuse
 * (wide integer heads, indefinite lengths, floats, unsorted or duplicate keys, lying lengths).
 */

/** Width of an argument: 'min' is the shortest form; a number forces that many argument bytes. */
export type Width = 'min' | 0 | 1 | 2 | 4 | 8

export type Raw =
  | { t: 'uint'; v: bigint; width?: Width }
  /** A negative integer -1 - v. */
  | { t: 'nint'; v: bigint; width?: Width }
  /** `len` overrides the announced length (a lie); `chunks` makes an indefinite-length string. */
  | { t: 'bytes'; v: Uint8Array; width?: Width; len?: bigint; chunks?: Uint8Array[] }
  | { t: 'text'; v: string; width?: Width; len?: bigint; chunks?: string[] }
  | { t: 'array'; items: Raw[]; width?: Width; len?: bigint; indef?: boolean }
  | { t: 'map'; entries: [Raw, Raw][]; width?: Width; len?: bigint; indef?: boolean }
  | { t: 'tag'; tag: bigint; item: Raw }
  | { t: 'simple'; v: number }
  | { t: 'float'; v: number; size: 2 | 4 | 8 }
  | { t: 'bytes-raw'; v: Uint8Array }

const enc = new TextEncoder()

function head(major: number, arg: bigint, width: Width = 'min'): number[] {
  const m = major << 5
  let w: Width = width
  if (w === 'min') w = arg < 24n ? 0 : arg < 0x100n ? 1 : arg < 0x10000n ? 2 : arg < 0x100000000n ? 4 : 8
  if (w === 0) {
    if (arg >= 24n) throw new Error('argument too big for an inline head')
    return [m | Number(arg)]
  }
  const ai = { 1: 24, 2: 25, 4: 26, 8: 27 }[w]
  const out = [m | ai]
  for (let i = w - 1; i >= 0; i--) out.push(Number((arg >> BigInt(8 * i)) & 0xffn))
  return out
}

/** IEEE 754 half precision bits of a value that half precision represents exactly (or NaN/±Infinity). */
function toHalf(v: number): number {
  if (Number.isNaN(v)) return 0x7e00
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0
  const a = Math.abs(v)
  if (a === Number.POSITIVE_INFINITY) return sign | 0x7c00
  if (a === 0) return sign
  const e = Math.floor(Math.log2(a))
  if (e < -14) return sign | Math.round(a / 2 ** -24)
  return sign | ((e + 15) << 10) | Math.round((a / 2 ** e - 1) * 1024)
}

function write(raw: Raw, out: number[]): void {
  switch (raw.t) {
    case 'uint':
      out.push(...head(0, raw.v, raw.width))
      return
    case 'nint':
      out.push(...head(1, raw.v, raw.width))
      return
    case 'bytes':
    case 'text': {
      const major = raw.t === 'bytes' ? 2 : 3
      if (raw.chunks !== undefined) {
        out.push((major << 5) | 31)
        for (const c of raw.chunks) {
          const b = typeof c === 'string' ? enc.encode(c) : c
          out.push(...head(major, BigInt(b.byteLength)), ...b)
        }
        out.push(0xff)
        return
      }
      const b = typeof raw.v === 'string' ? enc.encode(raw.v) : raw.v
      out.push(...head(major, raw.len ?? BigInt(b.byteLength), raw.width), ...b)
      return
    }
    case 'array':
      if (raw.indef === true) out.push(0x9f)
      else out.push(...head(4, raw.len ?? BigInt(raw.items.length), raw.width))
      for (const item of raw.items) write(item, out)
      if (raw.indef === true) out.push(0xff)
      return
    case 'map':
      if (raw.indef === true) out.push(0xbf)
      else out.push(...head(5, raw.len ?? BigInt(raw.entries.length), raw.width))
      for (const [k, v] of raw.entries) {
        write(k, out)
        write(v, out)
      }
      if (raw.indef === true) out.push(0xff)
      return
    case 'tag':
      out.push(...head(6, raw.tag))
      write(raw.item, out)
      return
    case 'simple':
      if (raw.v < 24) out.push(0xe0 | raw.v)
      else out.push(0xf8, raw.v)
      return
    case 'float': {
      const dv = new DataView(new ArrayBuffer(raw.size))
      if (raw.size === 2) dv.setUint16(0, toHalf(raw.v))
      else if (raw.size === 4) dv.setFloat32(0, raw.v)
      else dv.setFloat64(0, raw.v)
      out.push(raw.size === 2 ? 0xf9 : raw.size === 4 ? 0xfa : 0xfb, ...new Uint8Array(dv.buffer))
      return
    }
    case 'bytes-raw':
      out.push(...raw.v)
      return
  }
}

export function writeRaw(raw: Raw): Uint8Array {
  const out: number[] = []
  write(raw, out)
  return Uint8Array.from(out)
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.byteLength - b.byteLength
}

/** Sort map entries by the bytes of their encoded keys (RFC 8949 §4.2.1). */
export function sortEntries(entries: [Raw, Raw][]): [Raw, Raw][] {
  return [...entries].sort((x, y) => compareBytes(writeRaw(x[0]), writeRaw(y[0])))
}

/**
 * The canonical Raw of a decoded value (Map, Uint8Array, integer, string, boolean, null, array).
 * writeRaw(fromValue(v)) is an independent canonical encoder.
 */
export function fromValue(value: unknown): Raw {
  if (value instanceof Uint8Array) return { t: 'bytes', v: value }
  if (typeof value === 'string') return { t: 'text', v: value }
  if (typeof value === 'boolean') return { t: 'simple', v: value ? 21 : 20 }
  if (value === null) return { t: 'simple', v: 22 }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`)
    return value >= 0 ? { t: 'uint', v: BigInt(value) } : { t: 'nint', v: BigInt(-1 - value) }
  }
  if (Array.isArray(value)) return { t: 'array', items: value.map(fromValue) }
  if (value instanceof Map) {
    return { t: 'map', entries: sortEntries([...value].map(([k, v]) => [fromValue(k), fromValue(v)])) }
  }
  throw new Error(`cannot express ${String(value)} as CBOR here`)
}

/** Deep copy of a Raw tree (mutators change copies). */
export function cloneRaw(raw: Raw): Raw {
  switch (raw.t) {
    case 'array':
      return { ...raw, items: raw.items.map(cloneRaw) }
    case 'map':
      return { ...raw, entries: raw.entries.map(([k, v]) => [cloneRaw(k), cloneRaw(v)]) }
    case 'tag':
      return { ...raw, item: cloneRaw(raw.item) }
    default:
      return { ...raw }
  }
}

import { decode, encode, rfc8949EncodeOptions, Tokenizer, Type } from 'cborg'
import { DecodeError, EncodeError, OversizedError } from '../errors.ts'

/** Strictest decoding cborg offers: minimal integers, no indefinite lengths, no undefined/NaN/Infinity, no duplicate keys. */
const DECODE_OPTIONS = {
  strict: true,
  useMaps: true,
  rejectDuplicateMapKeys: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  tags: []
} as const

/**
 * Deepest nesting of arrays, maps and tags accepted. Parley's schemas nest at most 3 deep (key file
 * secrets: map, array, map). cborg decodes and re-encodes recursively, and its re-encoding checks
 * each level against every enclosing one, so 8 KB of nested one-item arrays cost about 0.7 s here:
 * the depth is checked in one flat pass over the tokens before decoding.
 */
export const MAX_CBOR_DEPTH = 16

/**
 * One flat pass over the tokens of the first item, before decoding: refuse nesting deeper than
 * MAX_CBOR_DEPTH, and map keys other than integers and text. (cborg's duplicate-key check compares
 * byte-string, array and map keys by identity, so two equal such keys would get through; Parley's
 * maps have integer keys.)
 */
function checkStructure(bytes: Uint8Array, what: string): void {
  const tokens = new Tokenizer(bytes, DECODE_OPTIONS)
  // items still to come in each open array, map or tag, and whether it is a map
  const open: number[] = []
  const isMap: boolean[] = []
  while (!tokens.done()) {
    const token = tokens.next()
    const top = open.length - 1
    if (top >= 0) {
      const isKey = isMap[top] === true && open[top]! % 2 === 0
      if (isKey && token.type !== Type.uint && token.type !== Type.negint && token.type !== Type.string) {
        throw new DecodeError(`${what}: map keys must be integers or text`)
      }
      open[top]!--
    }
    const children =
      token.type === Type.array
        ? token.value
        : token.type === Type.map
          ? token.value * 2
          : token.type === Type.tag
            ? 1
            : 0
    if (children > 0) {
      open.push(children)
      isMap.push(token.type === Type.map)
      if (open.length > MAX_CBOR_DEPTH) throw new DecodeError(`${what}: nested deeper than ${MAX_CBOR_DEPTH}`)
    }
    while (open.length > 0 && open[open.length - 1] === 0) {
      open.pop()
      isMap.pop()
    }
    if (open.length === 0) return
  }
}

/** Deterministic CBOR (RFC 8949 §4.2.1): shortest forms, map keys in bytewise order of their encodings. */
export function encodeCanonical(value: unknown): Uint8Array {
  try {
    return encode(value, rfc8949EncodeOptions)
  } catch (err) {
    throw new EncodeError(`cannot encode: ${(err as Error).message}`)
  }
}

/**
 * Decode bytes that must be the one canonical encoding of a value: size capped before decoding,
 * nesting depth and key types checked, strict decode, then re-encoded and compared byte for byte
 * (which also rejects trailing bytes, floats where integers would do, unsorted keys and invalid
 * UTF-8).
 */
export function decodeCanonical(bytes: Uint8Array, maxBytes: number, what = 'value'): unknown {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError(`${what}: expected bytes`)
  if (bytes.byteLength > maxBytes) {
    throw new OversizedError(`${what}: ${bytes.byteLength} bytes exceeds the ${maxBytes}-byte cap`, String(maxBytes))
  }
  let value: unknown
  try {
    checkStructure(bytes, what)
    value = decode(bytes, DECODE_OPTIONS)
  } catch (err) {
    if (err instanceof DecodeError) throw err
    throw new DecodeError(`${what}: invalid CBOR (${(err as Error).message})`)
  }
  let again: Uint8Array
  try {
    again = encode(value, rfc8949EncodeOptions)
  } catch {
    throw new DecodeError(`${what}: value cannot be re-encoded canonically`)
  }
  if (!bytesEqual(again, bytes)) throw new DecodeError(`${what}: not the canonical encoding`)
  return value
}

/** Plain (not constant-time) byte equality; use only on public data. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

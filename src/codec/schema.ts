import { DecodeError, EncodeError } from '../errors.ts'
import { decodeCanonical, encodeCanonical } from './cbor.ts'

/**
 * One schema per type. A type is a CBOR map with small integer keys; key 0 always holds the
 * schema's version, so a reader rejects a version it does not know before looking further.
 * Decoding checks every field's type and bound and refuses unknown keys.
 */

/** A field's value type: checks a decoded CBOR value and turns a JS value into one. */
export interface FieldType<T> {
  readonly describe: string
  /** Check a decoded CBOR value; throw DecodeError (path names the field) if it does not fit. */
  fromCbor(value: unknown, path: string): T
  /** Check a JS value before encoding; throw EncodeError if it does not fit. */
  toCbor(value: T, path: string): unknown
}

export interface FieldSpec<T, Optional extends boolean = boolean> {
  readonly key: number
  readonly type: FieldType<T>
  readonly optional: Optional
}

// biome-ignore lint/suspicious/noExplicitAny: FieldType is invariant in T, so only any matches every field in type-level code
type AnyT = any
type AnyFields = Record<string, FieldSpec<AnyT, boolean>>
type RequiredKeys<F extends AnyFields> = { [K in keyof F]: F[K] extends FieldSpec<AnyT, false> ? K : never }[keyof F]
type OptionalKeys<F extends AnyFields> = { [K in keyof F]: F[K] extends FieldSpec<AnyT, true> ? K : never }[keyof F]
type Simplify<T> = { [K in keyof T]: T[K] }
/** The JS type a schema's fields describe. */
export type InferFields<F extends AnyFields> = Simplify<
  { [K in RequiredKeys<F>]: F[K] extends FieldSpec<infer T, boolean> ? T : never } & {
    [K in OptionalKeys<F>]?: F[K] extends FieldSpec<infer T, boolean> ? T : never
  }
>

/** A required field at CBOR map key `key`. */
export function field<T>(key: number, type: FieldType<T>): FieldSpec<T, false> {
  checkKey(key)
  return { key, type, optional: false }
}

/** An optional field at CBOR map key `key`: absent in the encoding when undefined. */
export function optional<T>(key: number, type: FieldType<T>): FieldSpec<T, true> {
  checkKey(key)
  return { key, type, optional: true }
}

function checkKey(key: number): void {
  if (!Number.isInteger(key) || key < 1 || key > 23) throw new Error(`field keys are 1..23 (0 is the version): ${key}`)
}

export interface Schema<T> extends FieldType<T> {
  readonly name: string
  readonly version: number
  readonly maxBytes: number
  /** Canonical bytes of a value. */
  encode(value: T): Uint8Array
  /** Strictly decode canonical bytes (size cap first). */
  decode(bytes: Uint8Array): T
}

export interface SchemaInit<F extends AnyFields> {
  /** Names the type in errors, e.g. 'envelope'. */
  name: string
  version: number
  /** Cap checked before decoding. */
  maxBytes: number
  fields: F
}

/** Define a versioned, strictly decoded CBOR map type. */
export function defineSchema<F extends AnyFields>(init: SchemaInit<F>): Schema<InferFields<F>> {
  const { name, version, maxBytes, fields } = init
  const entries = Object.entries(fields).sort((a, b) => a[1].key - b[1].key)
  const byKey = new Map<number, [string, FieldSpec<unknown>]>()
  for (const [fieldName, spec] of entries) {
    if (byKey.has(spec.key)) throw new Error(`${name}: key ${spec.key} used twice`)
    byKey.set(spec.key, [fieldName, spec])
  }

  const toCbor = (value: InferFields<F>, path: string): Map<number, unknown> => {
    if (value === null || typeof value !== 'object') throw new EncodeError(`${path}: expected an object`)
    const out = new Map<number, unknown>([[0, version]])
    const obj = value as Record<string, unknown>
    for (const [fieldName, spec] of entries) {
      const v = obj[fieldName]
      if (v === undefined) {
        if (!spec.optional) throw new EncodeError(`${path}.${fieldName}: required`, fieldName)
        continue
      }
      out.set(spec.key, spec.type.toCbor(v, `${path}.${fieldName}`))
    }
    return out
  }

  const fromCbor = (value: unknown, path: string): InferFields<F> => {
    if (!(value instanceof Map)) throw new DecodeError(`${path}: expected a map`)
    const v = value.get(0)
    if (v !== version)
      throw new DecodeError(`${path}: unsupported version ${String(v)} (expected ${version})`, 'version')
    const out: Record<string, unknown> = {}
    for (const [k, raw] of value) {
      if (k === 0) continue
      const known = typeof k === 'number' ? byKey.get(k) : undefined
      if (known === undefined) throw new DecodeError(`${path}: unknown key ${String(k)}`)
      const [fieldName, spec] = known
      out[fieldName] = spec.type.fromCbor(raw, `${path}.${fieldName}`)
    }
    for (const [fieldName, spec] of entries) {
      if (!spec.optional && !(fieldName in out)) throw new DecodeError(`${path}.${fieldName}: missing`, fieldName)
    }
    return out as InferFields<F>
  }

  return {
    name,
    version,
    maxBytes,
    describe: name,
    toCbor,
    fromCbor,
    encode(value) {
      return encodeCanonical(toCbor(value, name))
    },
    decode(bytes) {
      return fromCbor(decodeCanonical(bytes, maxBytes, name), name)
    }
  }
}

// --- field types ---

/** Unsigned integer within the safe range (and at most `max`). */
export function uint(max = Number.MAX_SAFE_INTEGER): FieldType<number> {
  const check = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max
  return {
    describe: 'uint',
    fromCbor(v, path) {
      if (!check(v)) throw new DecodeError(`${path}: expected an unsigned integer <= ${max}`)
      return v
    },
    toCbor(v, path) {
      if (!check(v)) throw new EncodeError(`${path}: expected an unsigned integer <= ${max}`)
      return v
    }
  }
}

export interface BytesBounds {
  /** Exact length. */
  len?: number
  /** Maximum length (default: no bound beyond the schema's byte cap). */
  max?: number
  min?: number
}

/** A byte string, optionally of an exact length or within bounds. */
export function bytes(bounds: BytesBounds = {}): FieldType<Uint8Array> {
  const { len, min = len ?? 0, max = len ?? Number.MAX_SAFE_INTEGER } = bounds
  const describe = len !== undefined ? `${len} bytes` : `${min}..${max} bytes`
  const check = (v: unknown): v is Uint8Array => v instanceof Uint8Array && v.byteLength >= min && v.byteLength <= max
  return {
    describe,
    fromCbor(v, path) {
      if (!check(v)) throw new DecodeError(`${path}: expected ${describe}`)
      return v
    },
    toCbor(v, path) {
      if (!check(v)) throw new EncodeError(`${path}: expected ${describe}`)
      return v
    }
  }
}

/** A UTF-8 text string of at most `max` UTF-16 code units (bounded by bytes through the schema cap too). */
export function text(max: number, min = 0): FieldType<string> {
  const check = (v: unknown): v is string =>
    typeof v === 'string' && v.length <= max && v.length >= min && v.isWellFormed()
  return {
    describe: `text <= ${max}`,
    fromCbor(v, path) {
      if (!check(v)) throw new DecodeError(`${path}: expected text of ${min}..${max} characters`)
      return v
    },
    toCbor(v, path) {
      if (!check(v)) throw new EncodeError(`${path}: expected well-formed text of ${min}..${max} characters`)
      return v
    }
  }
}

export function bool(): FieldType<boolean> {
  return {
    describe: 'bool',
    fromCbor(v, path) {
      if (typeof v !== 'boolean') throw new DecodeError(`${path}: expected a boolean`)
      return v
    },
    toCbor(v, path) {
      if (typeof v !== 'boolean') throw new EncodeError(`${path}: expected a boolean`)
      return v
    }
  }
}

/** An array of at most `max` items of one type. */
export function array<T>(of: FieldType<T>, max: number): FieldType<T[]> {
  return {
    describe: `array of ${of.describe}`,
    fromCbor(v, path) {
      if (!Array.isArray(v) || v.length > max) throw new DecodeError(`${path}: expected an array of at most ${max}`)
      return v.map((item, i) => of.fromCbor(item, `${path}[${i}]`))
    },
    toCbor(v, path) {
      if (!Array.isArray(v) || v.length > max) throw new EncodeError(`${path}: expected an array of at most ${max}`)
      return v.map((item, i) => of.toCbor(item, `${path}[${i}]`))
    }
  }
}

/** One of a fixed set of text values. */
export function oneOf<const V extends string>(values: readonly V[]): FieldType<V> {
  const set = new Set<string>(values)
  const check = (v: unknown): v is V => typeof v === 'string' && set.has(v)
  return {
    describe: values.join('|'),
    fromCbor(v, path) {
      if (!check(v)) throw new DecodeError(`${path}: expected one of ${values.join(', ')}`)
      return v
    },
    toCbor(v, path) {
      if (!check(v)) throw new EncodeError(`${path}: expected one of ${values.join(', ')}`)
      return v
    }
  }
}

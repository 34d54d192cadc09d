import { deepStrictEqual, notStrictEqual, ok, strictEqual, throws } from 'node:assert/strict'
import fc from 'fast-check'
import {
  array,
  bool,
  bytes,
  decodeCanonical,
  defineSchema,
  encodeCanonical,
  field,
  MAX_CBOR_DEPTH,
  oneOf,
  optional,
  text,
  uint
} from '../../src/codec/index.ts'
import { assertBytes, fcParams, throwsParley } from '../helpers/assert.ts'
import { toHex } from '../helpers/bytes.ts'
import { fromValue, type Raw, writeRaw } from '../helpers/cbor-raw.ts'
import { toJson } from '../helpers/json.ts'
import { Rng } from '../helpers/rng.ts'
import { SCHEMAS } from '../helpers/schemas.ts'
import { SCHEMA_FIELDS, schemaValueArb } from '../helpers/specs.ts'
import { makeVariant, VARIANT_KINDS } from '../helpers/variants.ts'

const ROUND_TRIPS = 10_000
const VARIANTS = 2000

describe('codec: every exported schema', () => {
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    describe(name, () => {
      it(`decode(encode(x)) = x, and re-encoding gives the same bytes (${ROUND_TRIPS} values)`, () => {
        fc.assert(
          fc.property(schemaValueArb(name), (x) => {
            const encoded = schema.encode(x)
            const decoded = schema.decode(encoded)
            deepStrictEqual(toJson(decoded), toJson(x))
            assertBytes(schema.encode(decoded), encoded)
            // an independent canonical writer agrees on the bytes
            assertBytes(writeRaw(fromValue(decodeCanonical(encoded, schema.maxBytes))), encoded)
          }),
          fcParams(ROUND_TRIPS)
        )
      })

      it(`the encoding is unique: ${VARIANTS} non-canonical or invalid variants are refused with DecodeError`, () => {
        const seen = new Map<string, number>()
        fc.assert(
          fc.property(
            schemaValueArb(name),
            fc.constantFrom(...VARIANT_KINDS),
            fc.integer({ min: 0, max: 2 ** 32 - 1 }),
            (x, kind, seed) => {
              const encoded = schema.encode(x)
              const canonical = fromValue(decodeCanonical(encoded, schema.maxBytes)) as Extract<Raw, { t: 'map' }>
              const variant = makeVariant(canonical, SCHEMA_FIELDS[name]!, kind, new Rng(seed))
              fc.pre(variant !== undefined)
              notStrictEqual(toHex(variant), toHex(encoded))
              // a variant that grew past the cap is refused before decoding
              const expected = variant.byteLength > schema.maxBytes ? 'OversizedError' : 'DecodeError'
              throwsParley(() => schema.decode(variant), expected)
              seen.set(kind, (seen.get(kind) ?? 0) + 1)
            }
          ),
          fcParams(VARIANTS)
        )
        // every kind of variant that applies to this schema was exercised
        const hasUint = SCHEMA_FIELDS[name]!.some((f) => f.type.kind === 'uint')
        for (const kind of VARIANT_KINDS) {
          if (kind === 'uint-over-max' && !hasUint) continue
          ok((seen.get(kind) ?? 0) > 0, `${kind} never ran`)
        }
      })

      it('refuses input over its cap with OversizedError before decoding', () => {
        throwsParley(() => schema.decode(new Uint8Array(schema.maxBytes + 1)), 'OversizedError')
      })
    })
  }
})

// A schema with every field type, to cover what the exported schemas do not use yet.
const Nested = defineSchema({
  name: 'nested',
  version: 3,
  maxBytes: 1024,
  fields: { n: field(1, uint(1000)), label: optional(2, text(10)) }
})
const Everything = defineSchema({
  name: 'everything',
  version: 2,
  maxBytes: 8192,
  fields: {
    count: field(1, uint()),
    small: field(2, uint(255)),
    raw: field(3, bytes({ max: 100 })),
    fixed: field(4, bytes({ len: 4 })),
    name: field(5, text(20, 1)),
    flag: field(6, bool()),
    kind: field(7, oneOf(['a', 'b', 'c'] as const)),
    list: field(8, array(uint(9), 5)),
    nested: optional(9, Nested),
    nestedList: optional(10, array(Nested, 3)),
    note: optional(23, text(64))
  }
})
type Everything = ReturnType<typeof Everything.decode>

const nestedArb = fc.record(
  { n: fc.integer({ min: 0, max: 1000 }), label: fc.string({ maxLength: 10 }) },
  { requiredKeys: ['n'] }
)
const everythingArb: fc.Arbitrary<Everything> = fc.record(
  {
    count: fc.maxSafeNat(),
    small: fc.integer({ min: 0, max: 255 }),
    raw: fc.uint8Array({ maxLength: 100 }),
    fixed: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    name: fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme-composite' }).filter((s) => s.length <= 20),
    flag: fc.boolean(),
    kind: fc.constantFrom('a' as const, 'b' as const, 'c' as const),
    list: fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 5 }),
    nested: nestedArb,
    nestedList: fc.array(nestedArb, { maxLength: 3 }),
    note: fc.string({ maxLength: 64 })
  },
  { requiredKeys: ['count', 'small', 'raw', 'fixed', 'name', 'flag', 'kind', 'list'] }
)

describe('codec: field types (a test schema with every kind of field)', () => {
  const valid: Everything = {
    count: 1,
    small: 2,
    raw: new Uint8Array(3),
    fixed: new Uint8Array(4),
    name: 'x',
    flag: true,
    kind: 'a',
    list: [1]
  }
  const encodeMap = (patch: Map<number, unknown>): Uint8Array => {
    const base = decodeCanonical(Everything.encode(valid), 8192) as Map<number, unknown>
    for (const [k, v] of patch) {
      if (v === undefined) base.delete(k)
      else base.set(k, v)
    }
    return encodeCanonical(base)
  }

  it('decode(encode(x)) = x for text, bool, enums, arrays, nested schemas and optional fields (1000 values)', () => {
    fc.assert(
      fc.property(everythingArb, (x) => {
        const encoded = Everything.encode(x)
        deepStrictEqual(toJson(Everything.decode(encoded)), toJson(x))
        assertBytes(Everything.encode(Everything.decode(encoded)), encoded)
      }),
      fcParams(1000)
    )
  })

  it('optional fields are absent from the encoding when undefined', () => {
    const m = decodeCanonical(Everything.encode({ ...valid, note: undefined } as Everything), 8192) as Map<
      number,
      unknown
    >
    deepStrictEqual([...m.keys()], [0, 1, 2, 3, 4, 5, 6, 7, 8])
  })

  it('refuses each wrong field on decode with a DecodeError naming the field', () => {
    const cases: [string, Map<number, unknown>, RegExp][] = [
      ['negative uint', new Map([[1, -1]]), /count/],
      ['uint above its max', new Map([[2, 256]]), /small/],
      ['bytes over max', new Map([[3, new Uint8Array(101)]]), /raw/],
      ['bytes of wrong length', new Map([[4, new Uint8Array(5)]]), /fixed/],
      ['empty text under min', new Map([[5, '']]), /name/],
      ['text over max', new Map([[5, 'x'.repeat(21)]]), /name/],
      ['text as bytes', new Map([[5, new Uint8Array(1)]]), /name/],
      ['bool as 1', new Map([[6, 1]]), /flag/],
      ['enum value not in the set', new Map([[7, 'd']]), /kind/],
      ['array too long', new Map([[8, [1, 2, 3, 4, 5, 6]]]), /list/],
      ['array item over max', new Map([[8, [10]]]), /list\[0\]/],
      ['array as a map', new Map([[8, new Map()]]), /list/],
      ['nested of another version', new Map([[9, new Map([[0, 2]])]]), /nested/],
      [
        'nested with an unknown key',
        new Map([
          [
            9,
            new Map<number, unknown>([
              [0, 3],
              [1, 1],
              [3, 0]
            ])
          ]
        ]),
        /nested/
      ],
      ['nested missing a field', new Map([[9, new Map([[0, 3]])]]), /nested\.n/],
      ['nested list item wrong', new Map([[10, [new Map([[0, 3]])]]]), /nestedList\[0\]/],
      ['required field missing', new Map([[1, undefined]]), /count/],
      ['version missing', new Map([[0, undefined]]), /version/],
      ['a top-level array', new Map(), /expected a map/]
    ]
    for (const [what, patch, where] of cases) {
      const bytes = what === 'a top-level array' ? encodeCanonical([1, 2]) : encodeMap(patch)
      throwsParley(() => Everything.decode(bytes), 'DecodeError', where)
    }
  })

  it('refuses each wrong field on encode with EncodeError', () => {
    const bad: [string, unknown][] = [
      ['count', -1],
      ['count', 1.5],
      ['count', 2 ** 53],
      ['count', '1'],
      ['small', 256],
      ['raw', new Uint8Array(101)],
      ['raw', [1, 2]],
      ['fixed', new Uint8Array(3)],
      ['name', ''],
      ['name', 'x'.repeat(21)],
      ['name', '\ud800'],
      ['flag', 0],
      ['kind', 'd'],
      ['list', [10]],
      ['list', [1, 2, 3, 4, 5, 6]],
      ['nested', { n: 1001 }],
      ['nested', 'x']
    ]
    for (const [key, value] of bad) {
      throwsParley(() => Everything.encode({ ...valid, [key]: value } as Everything), 'EncodeError')
    }
    throwsParley(() => Everything.encode({ ...valid, count: undefined } as unknown as Everything), 'EncodeError')
    throwsParley(() => Everything.encode(null as unknown as Everything), 'EncodeError')
  })

  it('refuses a schema with key 0 or a key used twice (programming errors, thrown at definition)', () => {
    throws(() => field(0, uint()))
    throws(() => field(24, uint()))
    throws(() =>
      defineSchema({ name: 'twice', version: 1, maxBytes: 10, fields: { a: field(1, uint()), b: field(1, uint()) } })
    )
  })
})

/** Arbitrary values of the CBOR data model the codec accepts (no floats, no tags). */
const cborValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.maxSafeInteger(),
    fc.constantFrom(0, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, -1, -24, -25, -256, -257),
    fc.string({ maxLength: 30, unit: 'grapheme' }),
    fc.uint8Array({ maxLength: 40 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .uniqueArray(fc.tuple(fc.oneof(fc.integer({ min: -30, max: 300 }), fc.string({ maxLength: 3 })), tie('value')), {
        maxLength: 5,
        selector: ([k]) => k
      })
      .map((entries) => new Map(entries))
  )
})).value

describe('codec: generic deterministic CBOR', () => {
  it('encodeCanonical agrees with an independent RFC 8949 §4.2.1 writer, and decodes back (2000 values)', () => {
    fc.assert(
      fc.property(cborValue, (v) => {
        const encoded = encodeCanonical(v)
        assertBytes(encoded, writeRaw(fromValue(v)))
        assertBytes(encodeCanonical(decodeCanonical(encoded, 1 << 20)), encoded)
      }),
      fcParams(2000)
    )
  })

  it('refuses any integer head, length or map key written wider than needed (1000 values)', () => {
    const widen = (raw: Raw, rng: Rng): boolean => {
      // widen the first widenable head found in a random walk; true if one was widened
      const heads: Extract<Raw, { t: 'uint' | 'nint' | 'bytes' | 'text' | 'array' | 'map' }>[] = []
      const walk = (r: Raw): void => {
        if (r.t === 'uint' || r.t === 'nint' || r.t === 'bytes' || r.t === 'text') heads.push(r)
        if (r.t === 'array') {
          heads.push(r)
          r.items.forEach(walk)
        }
        if (r.t === 'map') {
          heads.push(r)
          for (const [k, val] of r.entries) {
            walk(k)
            walk(val)
          }
        }
      }
      walk(raw)
      const arg = (h: (typeof heads)[number]): bigint =>
        h.t === 'uint' || h.t === 'nint'
          ? h.v
          : h.t === 'bytes'
            ? BigInt(h.v.byteLength)
            : h.t === 'text'
              ? BigInt(new TextEncoder().encode(h.v).byteLength)
              : h.t === 'array'
                ? BigInt(h.items.length)
                : BigInt(h.entries.length)
      const candidates = heads.filter((h) => arg(h) < 2n ** 32n)
      if (candidates.length === 0) return false
      const h = rng.pick(candidates)
      const n = arg(h)
      const min = n < 24n ? 0 : n < 0x100n ? 1 : n < 0x10000n ? 2 : 4
      h.width = rng.pick(([1, 2, 4, 8] as const).filter((w) => w > min))
      return true
    }
    fc.assert(
      fc.property(cborValue, fc.integer({ min: 0, max: 2 ** 32 - 1 }), (v, seed) => {
        const raw = fromValue(v)
        fc.pre(widen(raw, new Rng(seed)))
        throwsParley(() => decodeCanonical(writeRaw(raw), 1 << 20), 'DecodeError')
      }),
      fcParams(1000)
    )
  })

  it('refuses -0, NaN, infinities, undefined, simple values, tags, bigints, indefinite lengths and keys that are not integers or text', () => {
    for (const hex of [
      'f98000', // -0.0
      'f97e00', // NaN
      'f97c00', // +Infinity
      'fa3f800000', // 1.0 as float32 (re-encodes as the integer 1)
      'f7', // undefined
      'f0', // simple(16)
      'f8ff', // simple(255)
      'c11a5f5e1000', // tag 1 (epoch time)
      'c249010000000000000000', // bignum
      '1b0020000000000000', // 2^53, beyond the safe range
      '3b0020000000000000', // -(2^53) - 1
      '9f01ff', // indefinite array
      'bf0001ff', // indefinite map
      '5f4101ff', // indefinite byte string
      '7f6161ff', // indefinite text
      'ff', // lone break
      '61ff', // invalid UTF-8
      '62c0af', // overlong UTF-8
      '63eda080', // UTF-8 of a lone surrogate
      'a2410000410000', // two equal byte-string keys (cborg compares such keys by identity)
      'a2410000410001', // the same, with different values
      'a280008000', // two equal array keys
      'a2a000a000', // two equal map keys
      'a1f93e0000' // a float key
    ]) {
      throwsParley(() => decodeCanonical(Buffer.from(hex, 'hex'), 100), 'DecodeError')
    }
  })

  it(`refuses nesting deeper than MAX_CBOR_DEPTH (${MAX_CBOR_DEPTH}) quickly, before decoding`, () => {
    const nested = (depth: number, unit: number[]): Uint8Array => {
      const out: number[] = []
      for (let i = 0; i < depth; i++) out.push(...unit)
      return Uint8Array.from([...out, 0])
    }
    for (const unit of [[0x81], [0xa1, 0x00], [0xd8, 0x18]]) {
      if (unit[0] !== 0xd8)
        strictEqual(
          encodeCanonical(decodeCanonical(nested(MAX_CBOR_DEPTH, unit), 1 << 20)).byteLength,
          MAX_CBOR_DEPTH * unit.length + 1
        )
      throwsParley(() => decodeCanonical(nested(MAX_CBOR_DEPTH + 1, unit), 1 << 20), 'DecodeError', /nested deeper/)
      // without the depth check, re-encoding 8,000 levels took about 0.7 s
      const started = performance.now()
      throwsParley(() => decodeCanonical(nested(8000, unit), 1 << 20), 'DecodeError')
      ok(performance.now() - started < 50)
    }
    // wide is fine: the depth counter closes containers as their items arrive
    const wide = encodeCanonical([[[1, 2, [3]], [4]], [[5]], new Map([[0, [[[[6]]]]]])])
    strictEqual(encodeCanonical(decodeCanonical(wide, 1024)).byteLength, wide.byteLength)
  })

  it('checks the cap before decoding, and the input type', () => {
    throwsParley(() => decodeCanonical(new Uint8Array(101).fill(0xff), 100), 'OversizedError')
    throwsParley(() => decodeCanonical('a0' as unknown as Uint8Array, 100), 'DecodeError')
    strictEqual(decodeCanonical(Uint8Array.of(0xa0), 1) instanceof Map, true)
  })
})

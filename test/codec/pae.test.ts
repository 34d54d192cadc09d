import { deepStrictEqual, strictEqual } from 'node:assert/strict'
import fc from 'fast-check'
import { pae } from '../../src/codec/index.ts'
import { fcParams, throwsParley } from '../helpers/assert.ts'
import { toHex } from '../helpers/bytes.ts'
import { referencePae } from '../helpers/reference.ts'

/** Parse PAE bytes back into (type, payload), as a DSSE verifier would; undefined if malformed. */
function parsePae(bytes: Uint8Array): { type: string; payload: Uint8Array } | undefined {
  const text = Buffer.from(bytes).toString('latin1')
  const m = /^DSSEv1 (0|[1-9][0-9]*) /.exec(text)
  if (m === null) return undefined
  let at = m[0].length
  const typeLen = Number(m[1])
  const type = text.slice(at, at + typeLen)
  at += typeLen
  const m2 = /^ (0|[1-9][0-9]*) /.exec(text.slice(at))
  if (m2 === null) return undefined
  at += m2[0].length
  if (bytes.byteLength - at !== Number(m2[1])) return undefined
  return { type, payload: bytes.subarray(at) }
}

// small alphabets so that naive concatenations of different inputs collide often
const typeArb = fc.string({ unit: fc.constantFrom('a', '1', '/', '2'), minLength: 1, maxLength: 4 })
const payloadArb = fc
  .array(fc.constantFrom(0x20, 0x31, 0x32, 0x61, 0x2f), { maxLength: 6 })
  .map((a) => Uint8Array.from(a))

describe('codec: PAE (DSSE pre-authentication encoding)', () => {
  it('is injective: different (type, payload) pairs never give the same bytes (5000 pairs)', () => {
    fc.assert(
      fc.property(typeArb, payloadArb, typeArb, payloadArb, (t1, p1, t2, p2) => {
        const same = t1 === t2 && toHex(p1) === toHex(p2)
        strictEqual(toHex(pae(t1, p1)) === toHex(pae(t2, p2)), same)
      }),
      fcParams(5000)
    )
  })

  it('can be parsed back into exactly its type and payload, and matches the DSSE text (2000 cases)', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
          minLength: 1,
          maxLength: 128
        }),
        fc.uint8Array({ maxLength: 2000 }),
        (type, payload) => {
          const bytes = pae(type, payload)
          strictEqual(toHex(bytes), toHex(referencePae(type, payload)))
          const parsed = parsePae(bytes)!
          strictEqual(parsed.type, type)
          deepStrictEqual(toHex(parsed.payload), toHex(payload))
        }
      ),
      fcParams(2000)
    )
  })

  it('refuses type strings that are empty, too long, or not printable ASCII without spaces', () => {
    for (const type of [
      '',
      'x'.repeat(129),
      'a b',
      'tab\there',
      'nul\u0000',
      'ünïcode',
      'emoji👋',
      '\u007f',
      'line\n'
    ]) {
      throwsParley(() => pae(type, new Uint8Array(0)), 'EncodeError')
    }
    strictEqual(pae('x'.repeat(128), new Uint8Array(0)).byteLength, 'DSSEv1 128  0 '.length + 128)
  })
})

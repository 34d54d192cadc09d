import { deepStrictEqual, strictEqual } from 'node:assert/strict'
import { decodeCanonical, encodeCanonical, pae } from '../../src/codec/index.ts'
import { assertBytes, throwsParley } from '../helpers/assert.ts'
import { fromHex, toHex } from '../helpers/bytes.ts'
import { fromValue, writeRaw } from '../helpers/cbor-raw.ts'
import { fromJson, type Json, loadVectors, toJson } from '../helpers/json.ts'
import { referencePae } from '../helpers/reference.ts'
import { SCHEMAS } from '../helpers/schemas.ts'
import type { CodecVectors, PaeVectors } from '../helpers/vector-types.ts'

/** Generic CBOR values in codec.json: maps are {"$map": [[k, v], ...]}. */
function fromJsonCbor(json: Json): unknown {
  if (Array.isArray(json)) return json.map(fromJsonCbor)
  if (json !== null && typeof json === 'object' && Array.isArray(json.$map)) {
    return new Map((json.$map as Json[][]).map(([k, v]) => [fromJsonCbor(k!), fromJsonCbor(v!)]))
  }
  return fromJson(json)
}

describe('codec known-answer vectors (test/vectors/codec.json)', () => {
  const file = loadVectors<CodecVectors>('codec.json')

  it('covers every schema', () => {
    deepStrictEqual(new Set(file.schemas.map((v) => v.schema)), new Set(Object.keys(SCHEMAS)))
  })

  for (const v of file.schemas) {
    it(`${v.schema} / ${v.name}: encodes to the vector and decodes back`, () => {
      const schema = SCHEMAS[v.schema]!
      const bytes = fromHex(v.hex)
      assertBytes(schema.encode(fromJson(v.value)), bytes)
      deepStrictEqual(toJson(schema.decode(bytes)), v.value)
      // an encoder that shares no code with cborg writes the same bytes
      assertBytes(writeRaw(fromValue(decodeCanonical(bytes, schema.maxBytes))), bytes)
    })
  }

  for (const v of file.invalid) {
    it(`${v.schema} refuses: ${v.why}`, () => {
      throwsParley(() => SCHEMAS[v.schema]!.decode(fromHex(v.hex)), 'DecodeError')
    })
  }

  it('generic values have the canonical encodings of RFC 8949 §4.2.1', () => {
    for (const v of file.canonical) {
      const value = fromJsonCbor(v.value)
      strictEqual(toHex(encodeCanonical(value)), v.hex, v.name)
      strictEqual(toHex(writeRaw(fromValue(value))), v.hex, `${v.name} (independent writer)`)
      strictEqual(toHex(encodeCanonical(decodeCanonical(fromHex(v.hex), 1024))), v.hex, `${v.name} round trip`)
    }
  })
})

describe('PAE known-answer vectors (test/vectors/pae.json)', () => {
  const file = loadVectors<PaeVectors>('pae.json')

  it("reproduces the DSSE protocol's worked example", () => {
    const out = pae('http://example.com/HelloWorld', new TextEncoder().encode('hello world'))
    strictEqual(Buffer.from(out).toString('latin1'), 'DSSEv1 29 http://example.com/HelloWorld 11 hello world')
  })

  for (const v of file.vectors) {
    it(`${v.name}`, () => {
      const payload = fromHex(v.payloadHex)
      strictEqual(toHex(pae(v.type, payload)), v.paeHex)
      strictEqual(toHex(referencePae(v.type, payload)), v.paeHex)
    })
  }
})

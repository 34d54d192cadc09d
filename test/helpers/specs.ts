/**
 * What each exported schema's fields are, written down independently of the schema objects (which
 * do not expose their fields), for generating values and invalid variants.
 */
import fc from 'fast-check'
import { KEY_ID_BYTES, MAX_BODY_BYTES, MAX_ENVELOPE_BYTES, MESSAGE_ID_BYTES, NONCE_BYTES } from '../../src/constants.ts'
import { MAX_SESSION_BYTES } from '../../src/envelope/index.ts'

export type FieldKind = { kind: 'bytes'; min: number; max: number } | { kind: 'uint'; max: number }

export interface FieldDesc {
  name: string
  key: number
  optional: boolean
  type: FieldKind
}

const b = (name: string, key: number, min: number, max = min, optional = false): FieldDesc => ({
  name,
  key,
  optional,
  type: { kind: 'bytes', min, max }
})
const u = (name: string, key: number, max = Number.MAX_SAFE_INTEGER): FieldDesc => ({
  name,
  key,
  optional: false,
  type: { kind: 'uint', max }
})

export const SCHEMA_FIELDS: Record<string, FieldDesc[]> = {
  'encryption-key': [b('identityKey', 1, 32), b('keyId', 2, KEY_ID_BYTES), b('publicKey', 3, 32), u('createdAt', 4)],
  'signed-encryption-key': [b('statement', 1, 0, 256), b('signature', 2, 64)],
  envelope: [
    b('recipient', 1, 38),
    b('keyId', 2, KEY_ID_BYTES),
    b('ephemeral', 3, 32),
    b('nonce', 4, NONCE_BYTES),
    b('session', 5, 0, MAX_SESSION_BYTES, true),
    b('ciphertext', 6, 16, MAX_ENVELOPE_BYTES)
  ],
  'envelope-inner': [
    b('sender', 1, 38),
    b('messageId', 2, MESSAGE_ID_BYTES),
    u('createdAt', 3),
    u('contentType', 4, 0xffff),
    b('body', 5, 0, MAX_BODY_BYTES),
    b('signature', 6, 64)
  ],
  'envelope-signed': [
    b('header', 1, 0, 1024),
    b('sender', 2, 38),
    b('messageId', 3, MESSAGE_ID_BYTES),
    u('createdAt', 4),
    u('contentType', 5, 0xffff),
    b('body', 6, 0, MAX_BODY_BYTES)
  ]
}

const INTERESTING_UINTS = [0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER]

function fieldArb(t: FieldKind): fc.Arbitrary<unknown> {
  if (t.kind === 'bytes') {
    if (t.min === t.max) return fc.uint8Array({ minLength: t.min, maxLength: t.max })
    // mostly short; sometimes at or across the 23/24 and 255/256 length-head boundaries
    const boundaries = [t.min, 23, 24, 255, 256, 1000].filter((n) => n >= t.min && n <= t.max)
    return fc.oneof(
      { arbitrary: fc.uint8Array({ minLength: t.min, maxLength: Math.min(t.max, 40) }), weight: 6 },
      { arbitrary: fc.uint8Array({ minLength: t.min, maxLength: Math.min(t.max, 300) }), weight: 1 },
      { arbitrary: fc.constantFrom(...boundaries).map((n) => new Uint8Array(n)), weight: 1 }
    )
  }
  return fc.oneof(
    fc.integer({ min: 0, max: t.max }),
    fc.constantFrom(...INTERESTING_UINTS.filter((n) => n <= t.max), t.max)
  )
}

/** Values of a schema as plain objects (optional fields sometimes absent). */
export function schemaValueArb(schema: string): fc.Arbitrary<Record<string, unknown>> {
  const fields = SCHEMA_FIELDS[schema]!
  const required: Record<string, fc.Arbitrary<unknown>> = {}
  for (const f of fields) required[f.name] = fieldArb(f.type)
  const requiredKeys = fields.filter((f) => !f.optional).map((f) => f.name)
  return fc.record(required, { requiredKeys }) as fc.Arbitrary<Record<string, unknown>>
}

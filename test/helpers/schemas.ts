/** Every exported schema, by name, for vector, round-trip and fuzz tests. */
import type { Schema } from '../../src/codec/index.ts'
import { EnvelopeInner, EnvelopeSigned, EnvelopeWire } from '../../src/envelope/index.ts'
import { EncryptionKeyStatement, SignedEncryptionKey } from '../../src/identity/index.ts'

// biome-ignore lint/suspicious/noExplicitAny: a registry of schemas of different value types
export const SCHEMAS: Record<string, Schema<any>> = {
  'encryption-key': EncryptionKeyStatement,
  'signed-encryption-key': SignedEncryptionKey,
  envelope: EnvelopeWire,
  'envelope-inner': EnvelopeInner,
  'envelope-signed': EnvelopeSigned
}

/** Canonical encoding of every signed or sent structure: deterministic CBOR with strict, versioned schemas, and PAE. */
export { bytesEqual, decodeCanonical, encodeCanonical, MAX_CBOR_DEPTH } from './cbor.ts'
export { pae } from './pae.ts'
export type { BytesBounds, FieldSpec, FieldType, InferFields, Schema, SchemaInit } from './schema.ts'
export { array, bool, bytes, defineSchema, field, oneOf, optional, text, uint } from './schema.ts'

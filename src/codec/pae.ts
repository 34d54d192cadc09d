import { EncodeError } from '../errors.ts'

const encoder = new TextEncoder()
const PREFIX = encoder.encode('DSSEv1 ')
const SPACE = 0x20

/** Longest type string accepted: types are short constants, never user input. */
const MAX_TYPE_LENGTH = 128

/**
 * DSSE pre-authentication encoding: `"DSSEv1" SP LEN(type) SP type SP LEN(payload) SP payload`,
 * LEN in ASCII decimal. Every Parley signature signs this, so a signature made over one type can
 * never verify as another, and the payload's length cannot be shifted into the type.
 */
export function pae(type: string, payload: Uint8Array): Uint8Array {
  if (type.length === 0 || type.length > MAX_TYPE_LENGTH || !/^[\x21-\x7e]+$/.test(type)) {
    throw new EncodeError(`PAE type must be 1..${MAX_TYPE_LENGTH} printable ASCII characters`)
  }
  const typeBytes = encoder.encode(type)
  const typeLen = encoder.encode(String(typeBytes.byteLength))
  const payloadLen = encoder.encode(String(payload.byteLength))
  const out = new Uint8Array(
    PREFIX.byteLength +
      typeLen.byteLength +
      1 +
      typeBytes.byteLength +
      1 +
      payloadLen.byteLength +
      1 +
      payload.byteLength
  )
  let at = 0
  const put = (b: Uint8Array): void => {
    out.set(b, at)
    at += b.byteLength
  }
  put(PREFIX)
  put(typeLen)
  out[at++] = SPACE
  put(typeBytes)
  out[at++] = SPACE
  put(payloadLen)
  out[at++] = SPACE
  put(payload)
  return out
}

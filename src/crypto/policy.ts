/**
 * One signature and key policy, applied before either engine (OpenSSL or noble) runs, so both
 * accept exactly the same inputs. Security decisions, written down where they are made:
 *
 * - Ed25519 is strict RFC 8032: S must be < L; A and R must be canonical encodings (y < p, and no
 *   "negative zero" x); A and R of small order are refused (libsodium's rule: such keys make
 *   several key/signature pairs verify).
 * - The verification equation is cofactorless ([S]B = R + [k]A, the equation OpenSSL checks by
 *   comparing encodings). noble's own `verify({zip215: false})` decodes strictly but checks the
 *   cofactored equation, so it would accept signatures with a torsion component that OpenSSL
 *   refuses; our noble engine therefore runs the cofactorless equation on noble's points.
 * - X25519 public keys must be canonical (u < p, top bit clear), and an all-zero shared secret
 *   (a low-order point) is refused.
 */

const P_LE = new Uint8Array(32)
P_LE.fill(0xff)
P_LE[0] = 0xed
P_LE[31] = 0x7f

// L = 2^252 + 27742317777372353535851937790883648493, little-endian
const L_LE = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10
])

function hexLe(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!.map((h) => Number.parseInt(h, 16)))
}

/**
 * y-coordinates (sign bit cleared) of the eight points of order dividing 8: 0 and 1 (x = 0),
 * p - 1, and the two order-8 values. Non-canonical aliases (p, p + 1) fail the y < p check first.
 */
const SMALL_ORDER_Y = [
  hexLe('0000000000000000000000000000000000000000000000000000000000000000'),
  hexLe('0100000000000000000000000000000000000000000000000000000000000000'),
  hexLe('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
  hexLe('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
  hexLe('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a')
]

/** a < b for 32-byte little-endian numbers (only the low 255 bits of a when maskTop). */
function lessThanLe(a: Uint8Array, b: Uint8Array, maskTop: boolean): boolean {
  for (let i = 31; i >= 0; i--) {
    const ai = i === 31 && maskTop ? a[i]! & 0x7f : a[i]!
    const bi = b[i]!
    if (ai !== bi) return ai < bi
  }
  return false
}

function isSmallOrderY(enc: Uint8Array): boolean {
  outer: for (const y of SMALL_ORDER_Y) {
    for (let i = 0; i < 31; i++) if (enc[i] !== y[i]) continue outer
    if ((enc[31]! & 0x7f) === y[31]) return true
  }
  return false
}

/** A canonical Edwards point encoding that is not of small order (does not check it is on the curve). */
export function isAcceptablePointEncoding(enc: Uint8Array): boolean {
  return enc.byteLength === 32 && lessThanLe(enc, P_LE, true) && !isSmallOrderY(enc)
}

/** The policy checks on (signature, public key) that need no curve arithmetic. */
export function passesEd25519Policy(signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.byteLength !== 64 || publicKey.byteLength !== 32) return false
  if (!lessThanLe(signature.subarray(32), L_LE, false)) return false
  return isAcceptablePointEncoding(publicKey) && isAcceptablePointEncoding(signature.subarray(0, 32))
}

/** A canonical X25519 public key: 32 bytes, top bit clear, u < p. */
export function isCanonicalX25519PublicKey(publicKey: Uint8Array): boolean {
  return publicKey.byteLength === 32 && (publicKey[31]! & 0x80) === 0 && lessThanLe(publicKey, P_LE, false)
}

/** True if every byte is zero; runs over all bytes regardless (used on shared secrets). */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0
  for (let i = 0; i < bytes.byteLength; i++) acc |= bytes[i]!
  return acc === 0
}

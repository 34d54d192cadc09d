/** An Ed25519 signing key held in the form the engine signs with fastest (a KeyObject on Node). */
export interface Signer {
  readonly publicKey: Uint8Array
  sign(message: Uint8Array): Uint8Array
}

/** An X25519 private key held in the engine's fastest form. */
export interface X25519Key {
  readonly publicKey: Uint8Array
  /**
   * The shared secret with a peer's public key; throws InvalidKeyError for non-canonical or
   * low-order keys. `cacheable`: the peer key will be used again (a recipient's encryption key,
   * not an ephemeral one), so an engine may keep it imported.
   */
  agree(publicKey: Uint8Array, cacheable?: boolean): Uint8Array
}

/**
 * The primitives Parley needs, in two interchangeable implementations: `node` (OpenSSL through
 * node:crypto, the hot path) and `noble` (pure JS, the portable reference). Both apply the
 * policy in policy.ts and give byte-identical results for the same inputs.
 */
export interface CryptoEngine {
  readonly name: 'node' | 'noble'
  /** Ed25519 signer from a 32-byte seed. */
  signer(seed: Uint8Array): Signer
  /** Strict Ed25519 verification (policy.ts); false for anything that does not verify, never throws on bad bytes. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean
  /** X25519 key from a 32-byte private scalar (clamped as RFC 7748 says). */
  x25519(privateKey: Uint8Array): X25519Key
  /** A fresh random X25519 key (an ephemeral key), made the engine's fastest way. */
  generateX25519(): X25519Key
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array
  /** ChaCha20-Poly1305 (RFC 8439): ciphertext followed by the 16-byte tag. */
  aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array
  /** Returns undefined when the tag does not authenticate. */
  aeadOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | undefined
  sha256(data: Uint8Array): Uint8Array
  sha512(data: Uint8Array): Uint8Array
  randomBytes(length: number): Uint8Array
}

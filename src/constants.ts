/**
 * Protocol ids, signing types, limits and timeouts. Each default is named once, here.
 */

// --- signing types (PAE type strings): one per signed object and version, never reused ---
export const SIG_TYPE_ENCRYPTION_KEY = 'parley/encryption-key/v1'
export const SIG_TYPE_ENVELOPE = 'parley/envelope/v1'
export const SIG_TYPE_PROFILE = 'parley/profile/v1'
/** Associated data of the envelope AEAD (not a signature, but domain separated the same way). */
export const AAD_TYPE_ENVELOPE_HEADER = 'parley/envelope-header/v1'
/** HKDF info for the envelope key. */
export const KDF_INFO_ENVELOPE = 'parley/envelope/v1/key'
/** AEAD associated data of an encrypted key file. */
export const AAD_TYPE_KEYSTORE = 'parley/keystore/v1'

// --- envelope ---
export const ENVELOPE_VERSION = 1
/** Whole envelope cap, checked before any parsing. */
export const MAX_ENVELOPE_BYTES = 64 * 1024
/** Body cap: what is left of the envelope once header, inner fields and tags are paid for. */
export const MAX_BODY_BYTES = MAX_ENVELOPE_BYTES - 1024
/** Accept created-at up to this far in the future (clock skew). */
export const DEFAULT_MAX_FUTURE_MS = 10 * 60 * 1000
/** Accept created-at up to this far in the past (mail waiting in a mailbox). */
export const DEFAULT_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000
export const MESSAGE_ID_BYTES = 16
export const NONCE_BYTES = 12
export const KEY_ID_BYTES = 8

/** Content types carried inside the envelope. Numbers are on the wire: never renumber. */
export const ContentType = {
  text: 1,
  receipt: 2,
  attachment: 3,
  business: 4
} as const
export type ContentTypeName = keyof typeof ContentType

// --- identity ---
export const DEFAULT_HOME_DIRNAME = '.parley'
export const KEYSTORE_FILE = 'identity.key'
export const CONFIG_FILE = 'config.json'
export const API_TOKEN_FILE = 'api-token'
export const MAX_KEYSTORE_BYTES = 64 * 1024
export const MAX_CONFIG_BYTES = 256 * 1024
export const MAX_DISPLAY_NAME_LENGTH = 64
/** How long a retired encryption key still opens mail in flight. */
export const DEFAULT_KEY_GRACE_MS = 14 * 24 * 60 * 60 * 1000
/** scrypt cost for passphrase-protected key files: 2^17 * 8 * 128 B = 128 MiB, about 0.3 s here. */
export const SCRYPT_LOG_N = 17
export const SCRYPT_R = 8
export const SCRYPT_P = 1
/** Highest cost we accept from a key file, so a hostile file cannot make us allocate gigabytes. */
export const SCRYPT_MAX_LOG_N = 20
/** Signal's numeric fingerprint: iterations of SHA-512 per side. */
export const SAFETY_NUMBER_ITERATIONS = 5200

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
  /** A notice this node writes into a conversation itself (e.g. a verified name changed). Never sent; refused from the wire. */
  notice: 0,
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
/** Encryption keys a node holds at once (current plus retired in their grace period): the key file's cap. */
export const MAX_ENCRYPTION_KEYS = 64
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

// --- store ---
/** The SQLite file in a node's home. */
export const STORE_FILE = 'parley.db'
/** `PRAGMA application_id` of a Parley database ("PRLY"), so the store never migrates someone else's file. */
export const STORE_APPLICATION_ID = 0x50524c59
/** How long a writer waits for another connection's lock before giving up with SQLITE_BUSY. */
export const DEFAULT_STORE_BUSY_TIMEOUT_MS = 5000
/** An outgoing message that nobody acked within this time turns `failed`. */
export const DEFAULT_OUTBOX_GIVE_UP_MS = 7 * 24 * 60 * 60 * 1000
/**
 * How long a seen message id is remembered after receipt. Longer than the oldest envelope we accept
 * plus clock skew (and a day of margin), so a replay of a pruned id is already refused as stale.
 */
export const DEFAULT_SEEN_ID_RETENTION_MS = DEFAULT_MAX_AGE_MS + DEFAULT_MAX_FUTURE_MS + 24 * 60 * 60 * 1000
/** Rows a list call returns when the caller names no limit, and the most it ever returns. */
export const DEFAULT_STORE_LIST_LIMIT = 50
export const MAX_STORE_LIST_LIMIT = 1000
/** Most messages in one batch call (one transaction). */
export const MAX_STORE_BATCH = 1000
/** Defensive caps on what the store keeps per message (the envelope layer already caps at 64 KiB). */
export const MAX_STORED_BODY_BYTES = MAX_ENVELOPE_BYTES
export const MAX_STORED_TEXT_BYTES = MAX_ENVELOPE_BYTES
export const MAX_STORED_META_BYTES = 16 * 1024
/** Error reasons are truncated to this many characters. */
export const MAX_STORED_ERROR_LENGTH = 1024
export const MAX_META_KEY_LENGTH = 128
export const MAX_META_VALUE_BYTES = 64 * 1024
export const MAX_CONTACTS = 10_000
export const MAX_CONTACT_NAME_LENGTH = 64
/** Resolved directory records kept in the cache; past this the ones that expire first are dropped. */
export const MAX_CACHED_PEER_RECORDS = 10_000
export const MAX_CACHED_PEER_RECORD_BYTES = 64 * 1024
/** Size the WAL file is truncated to after a checkpoint. */
export const STORE_JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024

// --- network ---
/** Kad-DHT protocol of the Parley network (its own network, not the IPFS one). */
export const DHT_PROTOCOL = '/parley/kad/1.0.0'
/** Direct messages: length-prefixed envelope frames, one ack frame each. */
export const MSG_PROTOCOL = '/parley/msg/1.0.0'
/** Largest frame on the message protocol: an envelope plus its frame header. */
export const MAX_MSG_FRAME_BYTES = MAX_ENVELOPE_BYTES + 256
/** Unacked frames a sender may have in flight on one stream. */
export const MAX_FRAMES_IN_FLIGHT = 256
/** Inbound rate limit per peer on the message protocol. */
export const DEFAULT_RATE_LIMIT_PER_SECOND = 20
export const DEFAULT_RATE_LIMIT_BURST = 40

// --- registry and verification ---
export const SIG_TYPE_ROOT = 'parley/root/v1'
export const SIG_TYPE_ATTESTATION = 'parley/attestation/v1'
export const SIG_TYPE_STATUS = 'parley/status/v1'
/** Registry key ids: the first 8 bytes of SHA-256 of the public key. */
export const REGISTRY_KID_BYTES = 8
export const ATTESTATION_SERIAL_BYTES = 16
/** Default and longest attestation lifetime. */
export const DEFAULT_ATTESTATION_DAYS = 14
export const MAX_ATTESTATION_DAYS = 90
/** A status list's next-update is at most this far after it was issued. */
export const MAX_STATUS_LIFETIME_MS = 48 * 60 * 60 * 1000
/** Clock skew allowed on not-before. */
export const ATTESTATION_SKEW_MS = 5 * 60 * 1000
/** Root metadata lifetime at init and rotation. */
export const DEFAULT_ROOT_LIFETIME_MS = 365 * 24 * 60 * 60 * 1000
export const MAX_ROOT_CHAIN = 64
export const MAX_REVOKED_SERIALS = 4096
export const MAX_ATTESTATION_BUNDLE_BYTES = 4096
export const MAX_STATUS_RECORD_BYTES = 128 * 1024
/** The attestation exchange: a peer asks, a business node answers with its bundle. */
export const ATTEST_PROTOCOL = '/parley/attest/1.0.0'
/** The profile exchange: a peer asks, a node answers with the profile record it last published. */
export const PROFILE_PROTOCOL = '/parley/profile/1.0.0'

/**
 * Every error Parley throws on purpose. Each class has a stable `name` (libp2p v2+ style) that
 * callers and tests match on; messages are for humans and may change. Expected outcomes (a lookup
 * miss, an unverified peer) are values, not errors.
 */

/**
 * The message of anything thrown: libp2p sometimes rejects with an event object (a
 * StreamCloseEvent) rather than an Error, whose `message` is undefined.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name
  if (typeof err === 'object' && err !== null) {
    const e = err as { message?: unknown; error?: unknown; type?: unknown }
    if (typeof e.message === 'string') return e.message
    if (e.error instanceof Error) return e.error.message
    if (typeof e.type === 'string') return `${e.type} event`
  }
  return String(err)
}

/** Base of every Parley error, so callers can tell ours from unexpected ones. */
export class ParleyError extends Error {
  override name = 'ParleyError'
  /** Machine-readable detail (a field name, a limit), never a secret. */
  readonly detail?: string

  constructor(message: string, detail?: string) {
    super(message)
    if (detail !== undefined) this.detail = detail
  }
}

function defineError<N extends string>(name: N) {
  return class extends ParleyError {
    override name: N = name
  }
}

// --- codec ---
/** Bytes that are not a valid, canonical encoding of the expected type. */
export class DecodeError extends defineError('DecodeError') {}
/** Input longer than the cap for its type; checked before any decoding. */
export class OversizedError extends defineError('OversizedError') {}
/** A value that cannot be encoded under its schema (a bug on our side, or bad API input). */
export class EncodeError extends defineError('EncodeError') {}

// --- crypto ---
/** A key of the wrong length or a point the policy refuses (small order, non-canonical). */
export class InvalidKeyError extends defineError('InvalidKeyError') {}

// --- identity ---
/** A home folder that already holds an identity and no --force. */
export class IdentityExistsError extends defineError('IdentityExistsError') {}
/** No identity in the home folder (run `parley init`). */
export class IdentityNotFoundError extends defineError('IdentityNotFoundError') {}
/** The passphrase does not open the key file. */
export class WrongPassphraseError extends defineError('WrongPassphraseError') {}
/** The key file is damaged (bad encoding, checksum or key mismatch). */
export class KeystoreCorruptError extends defineError('KeystoreCorruptError') {}
/** The key file is encrypted and no passphrase could be obtained. */
export class PassphraseRequiredError extends defineError('PassphraseRequiredError') {}
/** A string that is not an Ed25519 PeerId. */
export class InvalidPeerIdError extends defineError('InvalidPeerIdError') {}
/** A config file that is not valid. */
export class ConfigError extends defineError('ConfigError') {}

// --- envelope ---
/** Envelope bytes that do not parse as an envelope. */
export class MalformedEnvelopeError extends defineError('MalformedEnvelopeError') {}
/** The envelope is addressed to another peer. */
export class WrongRecipientError extends defineError('WrongRecipientError') {}
/** The envelope names an encryption key this node does not hold (never had it, or purged). */
export class UnknownKeyIdError extends defineError('UnknownKeyIdError') {}
/** The AEAD did not authenticate: tampered, truncated or not for our key. */
export class DecryptionFailedError extends defineError('DecryptionFailedError') {}
/** The inner signature does not verify. */
export class BadSignatureError extends defineError('BadSignatureError') {}
/** The sender named inside is not the key that could have signed (not an Ed25519 PeerId). */
export class SenderKeyMismatchError extends defineError('SenderKeyMismatchError') {}
/** created-at too far in the future or the past. */
export class TimestampOutOfWindowError extends defineError('TimestampOutOfWindowError') {}
/** A version this build does not speak. */
export class UnsupportedVersionError extends defineError('UnsupportedVersionError') {}

// --- cli / api ---
/** Bad input on the command line or in an API request that the parser cannot see (a malformed PeerId, an unknown contact). */
export class UsageError extends defineError('UsageError') {}

// --- directory ---
/** A directory (DHT) record that fails validation; `detail` is the reason code. */
export class RecordRejectedError extends defineError('RecordRejectedError') {}

// --- store ---
/** The store cannot be used: not a Parley database, already closed, or SQLite failed (`detail` is the SQLite code). */
export class StoreError extends defineError('StoreError') {}
/** A schema migration failed and was rolled back: the database stays at its previous version. */
export class MigrationError extends defineError('MigrationError') {}
/** The database was written by a newer Parley: its schema version is higher than this build knows. */
export class StoreVersionError extends defineError('StoreVersionError') {}
/** A value the store refuses (a malformed message id, a time that is not whole ms); `detail` names the field. */
export class StoreInputError extends defineError('StoreInputError') {}
/** A contact with that name exists already (names compare case-insensitively). */
export class ContactNameTakenError extends defineError('ContactNameTakenError') {}
/** A contact for that PeerId exists already. */
export class ContactPeerTakenError extends defineError('ContactPeerTakenError') {}

// --- net ---
/** A frame on a Parley protocol that does not parse; the stream is reset. */
export class MalformedFrameError extends defineError('MalformedFrameError') {}
/** A message stream closed or failed before every ack arrived. */
export class ChannelClosedError extends defineError('ChannelClosedError') {}
/** A peer could not be reached (no address, dial failed). */
export class PeerUnreachableError extends defineError('PeerUnreachableError') {}
/** No profile for a peer could be found in the directory. */
export class PeerNotFoundError extends defineError('PeerNotFoundError') {}
/** A name that is not a saved contact (and not a PeerId). */
export class UnknownContactError extends defineError('UnknownContactError') {}

// --- daemon and API client ---
/** Another daemon already runs on this home. */
export class DaemonRunningError extends defineError('DaemonRunningError') {}
/** The daemon is not running (no daemon.json, or nothing answers at its API address). */
export class DaemonNotRunningError extends defineError('DaemonNotRunningError') {}
/** The API answered with an error status; `error` is the server's stable error name. */
export class ApiRequestError extends ParleyError {
  override name = 'ApiRequestError'
  readonly status: number
  readonly error: string
  constructor(status: number, error: string, message: string) {
    super(message, error)
    this.status = status
    this.error = error
  }
}

// --- registry ---
/** A root chain that does not verify (`detail`: malformed, version, threshold, shape, registry). */
export class RootChainError extends defineError('RootChainError') {}
/** A status list or status record that does not verify. */
export class StatusListError extends defineError('StatusListError') {}
/** A registry refuses to issue (a name the policy forbids, a confusable name held by another key). */
export class IssuanceRefusedError extends defineError('IssuanceRefusedError') {}
/** An attestation bundle that cannot be installed (not ours, malformed, older than the one held). */
export class AttestationError extends defineError('AttestationError') {}

// --- simulator ---
/** A scenario (file or flags) that is not valid. */
export class ScenarioError extends defineError('ScenarioError') {}
/** A simulation this machine cannot hold (say, more sockets per process than it may open). */
export class SimulationLimitError extends defineError('SimulationLimitError') {}
/** A simulation worker process died (or its channel closed) while the run needed it. */
export class SimulationWorkerError extends defineError('SimulationWorkerError') {}

import { scrypt as scryptCb } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  array,
  bytes,
  bytesEqual,
  defineSchema,
  encodeCanonical,
  field,
  oneOf,
  optional,
  pae,
  uint
} from '../codec/index.ts'
import {
  AAD_TYPE_KEYSTORE,
  KEYSTORE_FILE,
  MAX_ENCRYPTION_KEYS,
  MAX_KEYSTORE_BYTES,
  SCRYPT_LOG_N,
  SCRYPT_MAX_LOG_N,
  SCRYPT_P,
  SCRYPT_R
} from '../constants.ts'
import type { CryptoEngine } from '../crypto/index.ts'
import { getEngine, timingSafeEqualBytes } from '../crypto/index.ts'
import {
  DecodeError,
  IdentityNotFoundError,
  KeystoreCorruptError,
  OversizedError,
  PassphraseRequiredError,
  WrongPassphraseError
} from '../errors.ts'
import { readFileCapped, writePrivateFileAtomic } from './files.ts'
import { createIdentity, type Identity } from './identity.ts'

const scrypt = promisify(scryptCb) as (pw: string, salt: Uint8Array, len: number, opts: object) => Promise<Buffer>

const StoredKey = defineSchema({
  name: 'keystore-encryption-key',
  version: 1,
  maxBytes: 256,
  fields: {
    privateKey: field(1, bytes({ len: 32 })),
    createdAt: field(2, uint()),
    retiredAt: optional(3, uint())
  }
})

/** The secrets: the identity seed (with its public key, to detect damage) and the encryption keys. */
const Secrets = defineSchema({
  name: 'keystore-secrets',
  version: 1,
  maxBytes: 32 * 1024,
  fields: {
    seed: field(1, bytes({ len: 32 })),
    publicKey: field(2, bytes({ len: 32 })),
    encryptionKeys: field(3, array(StoredKey, MAX_ENCRYPTION_KEYS))
  }
})

/** The key file: the secrets, plain or sealed under a key from scrypt(passphrase). */
const KeyFile = defineSchema({
  name: 'keystore',
  version: 1,
  maxBytes: MAX_KEYSTORE_BYTES,
  fields: {
    kdf: field(1, oneOf(['none', 'scrypt'] as const)),
    salt: optional(2, bytes({ len: 16 })),
    logN: optional(3, uint(SCRYPT_MAX_LOG_N)),
    r: optional(4, uint(32)),
    p: optional(5, uint(16)),
    nonce: optional(6, bytes({ len: 12 })),
    data: field(7, bytes({ max: 48 * 1024 })),
    /** SHA-256 of every other field: tells damage apart from a wrong passphrase. */
    checksum: field(8, bytes({ len: 32 }))
  }
})
type KeyFile = ReturnType<typeof KeyFile.decode>

/** Where the passphrase comes from: a string, or a function asked only if the file is encrypted. */
export type PassphraseSource = string | (() => Promise<string | undefined>) | undefined

export interface SaveOptions {
  /** Encrypt the key file with this passphrase (scrypt + ChaCha20-Poly1305); plain when absent. */
  passphrase?: string
  /** scrypt cost as log2(N). @default SCRYPT_LOG_N (17) */
  logN?: number
}

function checksumOf(file: Omit<KeyFile, 'checksum'>, engine: CryptoEngine): Uint8Array {
  return engine.sha256(KeyFile.encode({ ...file, checksum: new Uint8Array(32) }))
}

async function deriveKey(
  passphrase: string,
  salt: Uint8Array,
  logN: number,
  r: number,
  p: number
): Promise<Uint8Array> {
  const N = 2 ** logN
  return new Uint8Array(
    await scrypt(passphrase.normalize('NFKC'), salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 })
  )
}

function headerAad(file: Omit<KeyFile, 'data' | 'checksum'>): Uint8Array {
  const m = new Map<number, unknown>([[1, file.kdf]])
  if (file.salt) m.set(2, file.salt)
  if (file.logN !== undefined) m.set(3, file.logN)
  if (file.r !== undefined) m.set(4, file.r)
  if (file.p !== undefined) m.set(5, file.p)
  if (file.nonce) m.set(6, file.nonce)
  return pae(AAD_TYPE_KEYSTORE, encodeCanonical(m))
}

/** Serialise an identity to key-file bytes. */
export async function sealKeystore(identity: Identity, options: SaveOptions = {}): Promise<Uint8Array> {
  const engine = identity.engine
  const secrets = Secrets.encode({
    seed: identity.seed,
    publicKey: identity.publicKey,
    encryptionKeys: identity.encryptionKeys.map((k) => ({
      privateKey: k.privateKey,
      createdAt: k.createdAt,
      ...(k.retiredAt !== undefined ? { retiredAt: k.retiredAt } : {})
    }))
  })
  let file: Omit<KeyFile, 'checksum'>
  if (options.passphrase === undefined) {
    file = { kdf: 'none', data: secrets }
  } else {
    const header = {
      kdf: 'scrypt' as const,
      salt: engine.randomBytes(16),
      logN: options.logN ?? SCRYPT_LOG_N,
      r: SCRYPT_R,
      p: SCRYPT_P,
      nonce: engine.randomBytes(12)
    }
    const key = await deriveKey(options.passphrase, header.salt, header.logN, header.r, header.p)
    file = { ...header, data: engine.aeadSeal(key, header.nonce, secrets, headerAad(header)) }
    key.fill(0)
  }
  return KeyFile.encode({ ...file, checksum: checksumOf(file, engine) })
}

/** True if the key-file bytes are passphrase protected (without opening them). */
export function isKeystoreEncrypted(fileBytes: Uint8Array): boolean {
  try {
    return KeyFile.decode(fileBytes).kdf === 'scrypt'
  } catch {
    return false
  }
}

/** Open key-file bytes. Throws KeystoreCorruptError, WrongPassphraseError or PassphraseRequiredError. */
export async function openKeystore(
  fileBytes: Uint8Array,
  passphrase?: PassphraseSource,
  engine: CryptoEngine = getEngine()
): Promise<Identity> {
  let file: KeyFile
  try {
    file = KeyFile.decode(fileBytes)
  } catch (err) {
    if (err instanceof DecodeError || err instanceof OversizedError) {
      throw new KeystoreCorruptError(`key file is damaged (${err.message})`)
    }
    throw err
  }
  const { checksum, ...rest } = file
  if (!timingSafeEqualBytes(checksum, checksumOf(rest, engine)))
    throw new KeystoreCorruptError('key file is damaged (checksum)')

  let secretBytes: Uint8Array
  if (file.kdf === 'none') {
    secretBytes = file.data
  } else {
    const { salt, logN, r, p, nonce } = file
    if (salt === undefined || logN === undefined || r === undefined || p === undefined || nonce === undefined) {
      throw new KeystoreCorruptError('key file is damaged (missing scrypt parameters)')
    }
    // The schema caps each parameter, but not their product: logN 20, r 32, p 16 would cost 4 GiB
    // and minutes of CPU, and logN 0 makes node:crypto throw a RangeError. Bound the total work by
    // the most this build would ever write (2^SCRYPT_MAX_LOG_N with the default r and p).
    if (logN < 1 || r < 1 || p < 1 || 2 ** logN * r * p > 2 ** SCRYPT_MAX_LOG_N * SCRYPT_R * SCRYPT_P) {
      throw new KeystoreCorruptError('key file is damaged (scrypt parameters out of range)')
    }
    const pw = typeof passphrase === 'function' ? await passphrase() : passphrase
    if (pw === undefined)
      throw new PassphraseRequiredError('the key file is passphrase protected: set PARLEY_PASSPHRASE')
    const key = await deriveKey(pw, salt, logN, r, p)
    const opened = engine.aeadOpen(key, nonce, file.data, headerAad(file))
    key.fill(0)
    if (opened === undefined) throw new WrongPassphraseError('wrong passphrase')
    secretBytes = opened
  }

  let secrets: ReturnType<typeof Secrets.decode>
  try {
    secrets = Secrets.decode(secretBytes)
  } catch (err) {
    throw new KeystoreCorruptError(`key file is damaged (${(err as Error).message})`)
  }
  const identity = createIdentity({ seed: secrets.seed, encryptionKeys: secrets.encryptionKeys, engine })
  if (!bytesEqual(identity.publicKey, secrets.publicKey))
    throw new KeystoreCorruptError('key file is damaged (key mismatch)')
  return identity
}

/** Path of the key file in a home folder. */
export function keystorePath(home: string): string {
  return join(home, KEYSTORE_FILE)
}

/** Write the identity to `<home>/identity.key` (mode 0600, atomically). */
export async function saveIdentity(home: string, identity: Identity, options: SaveOptions = {}): Promise<void> {
  writePrivateFileAtomic(keystorePath(home), await sealKeystore(identity, options))
}

/** Read the identity from a home folder. */
export async function loadIdentity(
  home: string,
  passphrase?: PassphraseSource,
  engine?: CryptoEngine
): Promise<Identity> {
  const path = keystorePath(home)
  if (!existsSync(path)) throw new IdentityNotFoundError(`no identity in ${home} (run \`parley init\`)`)
  return openKeystore(new Uint8Array(readFileCapped(path, MAX_KEYSTORE_BYTES)), passphrase, engine)
}

/** An identity opened from a home folder, with a save() that keeps its passphrase protection. */
export interface HomeIdentity {
  identity: Identity
  encrypted: boolean
  /** Write the (rotated, purged) identity back with the same passphrase it was opened with. */
  save(): Promise<void>
}

/** Open `<home>/identity.key` for a long-running node that may rotate keys and save them. */
export async function openHomeIdentity(
  home: string,
  passphrase?: PassphraseSource,
  engine?: CryptoEngine
): Promise<HomeIdentity> {
  const path = keystorePath(home)
  if (!existsSync(path)) throw new IdentityNotFoundError(`no identity in ${home} (run \`parley init\`)`)
  const fileBytes = new Uint8Array(readFileCapped(path, MAX_KEYSTORE_BYTES))
  const encrypted = isKeystoreEncrypted(fileBytes)
  let pw: string | undefined
  if (encrypted) {
    pw = typeof passphrase === 'function' ? await passphrase() : passphrase
    if (pw === undefined)
      throw new PassphraseRequiredError('the key file is passphrase protected: set PARLEY_PASSPHRASE')
  }
  const identity = await openKeystore(fileBytes, pw, engine)
  return {
    identity,
    encrypted,
    save: () => saveIdentity(home, identity, pw === undefined ? {} : { passphrase: pw })
  }
}

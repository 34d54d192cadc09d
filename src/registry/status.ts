import { bytesEqual } from '../codec/index.ts'
import { MAX_STATUS_LIFETIME_MS, SIG_TYPE_STATUS } from '../constants.ts'
import type { CryptoEngine } from '../crypto/index.ts'
import { getEngine, signTyped } from '../crypto/index.ts'
import { StatusListError } from '../errors.ts'
import { type RootMetadata, SignedStatus, StatusList, StatusRecord } from './formats.ts'
import { countRoleSignatures, type RegistryKeyPair, rootKeys, type VerifiedChain, verifyRootChain } from './root.ts'

/** Sign a status list with the registry's status key. */
export function signStatusList(list: StatusList, key: RegistryKeyPair): Uint8Array {
  if (list.nextUpdate <= list.issuedAt || list.nextUpdate - list.issuedAt > MAX_STATUS_LIFETIME_MS) {
    throw new StatusListError('next-update must be after issued-at and at most 48 hours later', 'lifetime')
  }
  const sorted = [...list.revoked].sort((a, b) => Buffer.compare(a, b))
  const payload = StatusList.encode({ ...list, revoked: sorted })
  return SignedStatus.encode({
    payload,
    signature: { kid: key.kid, signature: signTyped(key.signer, SIG_TYPE_STATUS, payload) }
  })
}

/** Check a signed status list against the registry's current root. Throws StatusListError. */
export function verifyStatusList(
  bytes: Uint8Array,
  root: RootMetadata,
  registryId: string,
  engine: CryptoEngine = getEngine()
): StatusList {
  let signed: ReturnType<typeof SignedStatus.decode>
  let list: StatusList
  try {
    signed = SignedStatus.decode(bytes)
    list = StatusList.decode(signed.payload)
  } catch (err) {
    throw new StatusListError(`malformed status list: ${(err as Error).message}`, 'malformed')
  }
  if (list.registryId !== registryId) throw new StatusListError('status list of another registry', 'registry')
  if (
    countRoleSignatures(SIG_TYPE_STATUS, signed.payload, [signed.signature], root.status, rootKeys(root), engine) <
    root.status.threshold
  ) {
    throw new StatusListError('status list is not signed by the status key of the current root', 'signature')
  }
  if (list.nextUpdate <= list.issuedAt || list.nextUpdate - list.issuedAt > MAX_STATUS_LIFETIME_MS) {
    throw new StatusListError('status list next-update is not within 48 hours of issued-at', 'lifetime')
  }
  return list
}

/** Bundle a status list with the root chain that proves its key (the DHT record). */
export function createStatusRecord(chain: Uint8Array, status: Uint8Array): Uint8Array {
  return StatusRecord.encode({ chain, status })
}

/** Check a status record on its own (no trust needed): chain from v1, status signed under the latest root. */
export function verifyStatusRecord(
  bytes: Uint8Array,
  options: { expectedRegistryId?: string; engine?: CryptoEngine } = {}
): { chain: VerifiedChain; status: StatusList; signedStatus: Uint8Array } {
  let record: ReturnType<typeof StatusRecord.decode>
  try {
    record = StatusRecord.decode(bytes)
  } catch (err) {
    throw new StatusListError(`malformed status record: ${(err as Error).message}`, 'malformed')
  }
  const chain = verifyRootChain(record.chain, options)
  const status = verifyStatusList(record.status, chain.latest, chain.registryId, options.engine)
  return { chain, status, signedStatus: record.status }
}

/** True if the serial is on the list (the list is sorted when signed, but do not rely on it). */
export function isRevoked(list: StatusList, serial: Uint8Array): boolean {
  return list.revoked.some((s) => bytesEqual(s, serial))
}

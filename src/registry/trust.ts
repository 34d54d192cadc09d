import { array, bytes, bytesEqual, defineSchema, field, text, uint } from '../codec/index.ts'
import { MAX_STATUS_RECORD_BYTES } from '../constants.ts'
import { RootChainError, StatusListError } from '../errors.ts'
import type { RootMetadata, StatusList } from './formats.ts'
import { chainExtends, type VerifiedChain, verifyRootChain } from './root.ts'
import { verifyStatusRecord } from './status.ts'
import type { TrustView } from './verify.ts'

/** Most registries a node trusts at once. */
export const MAX_TRUSTED_REGISTRIES = 64

/** The trust file: registries (their root chains) and the freshest status record of each. */
export const TrustFile = defineSchema({
  name: 'trust',
  version: 1,
  maxBytes: MAX_TRUSTED_REGISTRIES * (MAX_STATUS_RECORD_BYTES + 128 * 1024),
  fields: {
    registries: field(
      1,
      array(
        defineSchema({
          name: 'trusted-registry',
          version: 1,
          maxBytes: 64 * 1024 + 256,
          fields: {
            registryId: field(1, text(26, 26)),
            chain: field(2, bytes({ max: 64 * 1024 })),
            addedAt: field(3, uint())
          }
        }),
        MAX_TRUSTED_REGISTRIES
      )
    ),
    statuses: field(2, array(bytes({ max: MAX_STATUS_RECORD_BYTES + 64 * 1024 }), MAX_TRUSTED_REGISTRIES))
  }
})

export interface TrustedRegistry {
  registryId: string
  name: string
  rootVersion: number
  rootExpiresAt: number
  addedAt: number
  status: { seq: number; issuedAt: number; nextUpdate: number; revoked: number } | null
}

/** A node's trust: which registries, at which root version, with which status list. Pure; the caller persists `encode()`. */
export interface Trust extends TrustView {
  /** Bumped on every change, so cached verdicts know to recompute. */
  readonly version: number
  list(): TrustedRegistry[]
  has(registryId: string): boolean
  /**
   * Trust a registry from its root chain (a root file), or move an already trusted one to a newer
   * root: the new chain must extend the held one (same versions, then more). Returns what changed.
   */
  addRoot(
    chainBytes: Uint8Array,
    now?: number
  ): { registryId: string; rootVersion: number; added: boolean; updated: boolean }
  remove(registryId: string): boolean
  /**
   * Take a status record (from a file or the DHT) of a trusted registry. Never goes back to a
   * lower sequence; the same sequence must be the same list. A newer root chain inside it is
   * followed. Throws StatusListError (`detail`: untrusted, rollback, conflict…).
   */
  importStatus(recordBytes: Uint8Array): { registryId: string; seq: number; changed: boolean }
  /** The status record held for a registry (to republish it). */
  statusRecord(registryId: string): Uint8Array | undefined
  encode(): Uint8Array
}

interface Entry {
  chain: VerifiedChain
  addedAt: number
  status?: { list: StatusList; record: Uint8Array; signed: Uint8Array }
}

/** Build a node's trust from its trust file bytes (or empty). */
export function createTrust(fileBytes?: Uint8Array): Trust {
  const entries = new Map<string, Entry>()
  let version = 0
  if (fileBytes !== undefined && fileBytes.byteLength > 0) {
    const file = TrustFile.decode(fileBytes)
    for (const r of file.registries) {
      const chain = verifyRootChain(r.chain, { expectedRegistryId: r.registryId })
      entries.set(r.registryId, { chain, addedAt: r.addedAt })
    }
    for (const record of file.statuses) {
      try {
        const v = verifyStatusRecord(record)
        const e = entries.get(v.chain.registryId)
        if (e !== undefined) e.status = { list: v.status, record, signed: v.signedStatus }
      } catch {
        // a status list that no longer checks out (e.g. after a key rotation) is dropped
      }
    }
  }

  const trust: Trust = {
    get version() {
      return version
    },
    root(registryId): RootMetadata | undefined {
      return entries.get(registryId)?.chain.latest
    },
    status(registryId): StatusList | undefined {
      return entries.get(registryId)?.status?.list
    },
    has: (registryId) => entries.has(registryId),
    list() {
      return [...entries].map(([registryId, e]) => ({
        registryId,
        name: e.chain.latest.name,
        rootVersion: e.chain.latest.rootVersion,
        rootExpiresAt: e.chain.latest.expiresAt,
        addedAt: e.addedAt,
        status:
          e.status === undefined
            ? null
            : {
                seq: e.status.list.seq,
                issuedAt: e.status.list.issuedAt,
                nextUpdate: e.status.list.nextUpdate,
                revoked: e.status.list.revoked.length
              }
      }))
    },
    addRoot(chainBytes, now = Date.now()) {
      const chain = verifyRootChain(chainBytes)
      const current = entries.get(chain.registryId)
      if (current === undefined) {
        if (entries.size >= MAX_TRUSTED_REGISTRIES)
          throw new RootChainError(`at most ${MAX_TRUSTED_REGISTRIES} registries`, 'limit')
        entries.set(chain.registryId, { chain, addedAt: now })
        version++
        return { registryId: chain.registryId, rootVersion: chain.latest.rootVersion, added: true, updated: false }
      }
      if (chain.roots.length <= current.chain.roots.length) {
        if (!chainExtends(chain, current.chain))
          throw new RootChainError('this root chain conflicts with the one held', 'conflict')
        return {
          registryId: chain.registryId,
          rootVersion: current.chain.latest.rootVersion,
          added: false,
          updated: false
        }
      }
      if (!chainExtends(current.chain, chain))
        throw new RootChainError('this root chain does not extend the one held', 'conflict')
      current.chain = chain
      version++
      return { registryId: chain.registryId, rootVersion: chain.latest.rootVersion, added: false, updated: true }
    },
    remove(registryId) {
      const removed = entries.delete(registryId)
      if (removed) version++
      return removed
    },
    importStatus(recordBytes) {
      const v = verifyStatusRecord(recordBytes)
      const entry = entries.get(v.chain.registryId)
      if (entry === undefined)
        throw new StatusListError(`registry ${v.chain.registryId} is not trusted here`, 'untrusted')
      // follow a newer root the record carries (it checked out from version 1)
      let rootChanged = false
      if (v.chain.roots.length > entry.chain.roots.length) {
        if (!chainExtends(entry.chain, v.chain))
          throw new StatusListError('the status record carries a conflicting root chain', 'conflict')
        entry.chain = v.chain
        rootChanged = true
      } else if (v.chain.latest.rootVersion < entry.chain.latest.rootVersion) {
        // signed under an older root: its key may have been rotated out
        throw new StatusListError('the status list is signed under an older root', 'old-root')
      } else if (!chainExtends(entry.chain, v.chain)) {
        // the same root version, but not the root held: a fork signed by the old root keys, whose
        // status key could otherwise freeze or rewrite this registry's revocations
        throw new StatusListError('the status record carries a conflicting root chain', 'conflict')
      }
      const held = entry.status
      if (held !== undefined) {
        if (v.status.seq < held.list.seq) {
          throw new StatusListError(
            `refusing status list ${v.status.seq}: this node holds ${held.list.seq}`,
            'rollback'
          )
        }
        if (v.status.seq === held.list.seq) {
          if (!bytesEqual(v.signedStatus, held.signed))
            throw new StatusListError(`two different status lists numbered ${v.status.seq}`, 'conflict')
          if (rootChanged) version++
          return { registryId: v.chain.registryId, seq: v.status.seq, changed: rootChanged }
        }
      }
      entry.status = { list: v.status, record: recordBytes, signed: v.signedStatus }
      version++
      return { registryId: v.chain.registryId, seq: v.status.seq, changed: true }
    },
    statusRecord: (registryId) => entries.get(registryId)?.status?.record,
    encode() {
      return TrustFile.encode({
        registries: [...entries].map(([registryId, e]) => ({ registryId, chain: e.chain.bytes, addedAt: e.addedAt })),
        statuses: [...entries.values()].flatMap((e) => (e.status === undefined ? [] : [e.status.record]))
      })
    }
  }
  return trust
}

/** The DHT rules for `/parley/status/<registryId>`: self-validating, newest sequence wins, then the longer root chain. */
export const statusRecordKind = {
  validate(id: string, value: Uint8Array): void {
    try {
      verifyStatusRecord(value, { expectedRegistryId: id })
    } catch (err) {
      throw new StatusListError(`status record refused: ${(err as Error).message}`, 'invalid')
    }
  },
  compare(a: Uint8Array, b: Uint8Array): number {
    const va = verifyStatusRecord(a)
    const vb = verifyStatusRecord(b)
    return va.status.seq !== vb.status.seq
      ? va.status.seq - vb.status.seq
      : va.chain.roots.length - vb.chain.roots.length
  }
}

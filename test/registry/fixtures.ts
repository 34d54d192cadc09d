/**
 * An in-memory registry for the registry tests, built from the library's own pieces (the CLI's
 * registry folder is tested in test/cli/registry*.test.ts): 2-of-3 root keys, an issuing key and a
 * status key, root versions signed by whichever keys a test chooses, attestations and status lists.
 */
import { createHash } from 'node:crypto'
import { DEFAULT_ROOT_LIFETIME_MS, SIG_TYPE_ROOT } from '../../src/constants.ts'
import { signTyped } from '../../src/crypto/index.ts'
import { createIdentity, type Identity } from '../../src/identity/index.ts'
import {
  createStatusRecord,
  encodeRootChain,
  type IssueInit,
  issueAttestation,
  type RegistryKeyPair,
  type RootMetadata,
  RootMetadataSchema,
  registryIdOf,
  registryKeyPair,
  SignedRoot,
  type StatusList,
  signStatusList,
  type TrustView
} from '../../src/registry/index.ts'

export const HOUR = 60 * 60 * 1000
export const DAY = 24 * HOUR
/** A fixed "now" so every window in the tests is exact. */
export const NOW = Date.UTC(2026, 10, 1, 12, 0, 0)

let seedCounter = 0
/** A deterministic key per call (distinct across the whole test run). */
export function key(label = 'k'): RegistryKeyPair {
  const seed = createHash('sha256').update(`parley-test-registry-key/${label}/${++seedCounter}`).digest()
  return registryKeyPair(new Uint8Array(seed))
}

export interface RootKeys {
  root: RegistryKeyPair[]
  issuer: RegistryKeyPair[]
  status: RegistryKeyPair[]
  /** @default min(2, root.length) */
  rootThreshold?: number
}

/** Root metadata naming these keys. */
export function rootMeta(version: number, keys: RootKeys, init: { now?: number; name?: string } = {}): RootMetadata {
  const now = init.now ?? NOW
  const all = [...keys.root, ...keys.issuer, ...keys.status]
  const unique = new Map(all.map((k) => [Buffer.from(k.kid).toString('hex'), k]))
  return {
    rootVersion: version,
    name: init.name ?? 'Test Registry',
    createdAt: now,
    expiresAt: now + DEFAULT_ROOT_LIFETIME_MS,
    keys: [...unique.values()].map((k) => ({ kid: k.kid, publicKey: k.publicKey })),
    root: { kids: keys.root.map((k) => k.kid), threshold: keys.rootThreshold ?? Math.min(2, keys.root.length) },
    issuer: { kids: keys.issuer.map((k) => k.kid), threshold: 1 },
    status: { kids: keys.status.map((k) => k.kid), threshold: 1 }
  }
}

/** Signed root bytes: `meta` signed by exactly `signers` (any keys at all, so tests can sign wrongly). */
export function signedRoot(meta: RootMetadata, signers: RegistryKeyPair[]): Uint8Array {
  const payload = RootMetadataSchema.encode(meta)
  return SignedRoot.encode({
    payload,
    signatures: signers.map((k) => ({ kid: k.kid, signature: signTyped(k.signer, SIG_TYPE_ROOT, payload) }))
  })
}

/**
 * A registry: root versions (v1 signed by 2 of its 3 root keys), one issuing and one status key.
 * `rotate()` appends root N+1 signed by the TUF rule unless told otherwise.
 */
export class TestRegistry {
  readonly roots: Uint8Array[] = []
  readonly metas: RootMetadata[] = []
  keys: Required<RootKeys>
  readonly registryId: string
  seq = 0

  constructor(init: { now?: number; name?: string } = {}) {
    this.keys = {
      root: [key('root'), key('root'), key('root')],
      issuer: [key('issuer')],
      status: [key('status')],
      rootThreshold: 2
    }
    const meta = rootMeta(1, this.keys, init)
    const signed = signedRoot(meta, this.keys.root.slice(0, 2))
    this.roots.push(signed)
    this.metas.push(meta)
    this.registryId = registryIdOf(RootMetadataSchema.encode(meta))
  }

  get latest(): RootMetadata {
    return this.metas[this.metas.length - 1]!
  }

  get issuer(): RegistryKeyPair {
    return this.keys.issuer[0]!
  }

  get statusKey(): RegistryKeyPair {
    return this.keys.status[0]!
  }

  /** The root chain (the root file) up to version `upTo` (default: all). */
  chain(upTo = this.roots.length): Uint8Array {
    return encodeRootChain(this.roots.slice(0, upTo))
  }

  /**
   * Root N+1 with fresh root keys (and, if asked, a fresh issuing/status key), signed by `sign`
   * (default: 2 old root keys and 2 new ones). Returns the signed root; `append: false` leaves the
   * chain as it was (to build a refused chain by hand).
   */
  rotate(
    init: {
      issuer?: boolean
      status?: boolean
      sign?: (old: RegistryKeyPair[], fresh: RegistryKeyPair[]) => RegistryKeyPair[]
      version?: number
      now?: number
      append?: boolean
    } = {}
  ): { signed: Uint8Array; meta: RootMetadata; keys: Required<RootKeys> } {
    const old = this.keys.root
    const keys: Required<RootKeys> = {
      root: [key('root'), key('root'), key('root')],
      issuer: init.issuer === true ? [key('issuer')] : this.keys.issuer,
      status: init.status === true ? [key('status')] : this.keys.status,
      rootThreshold: 2
    }
    const meta = rootMeta(
      init.version ?? this.latest.rootVersion + 1,
      keys,
      init.now !== undefined ? { now: init.now } : {}
    )
    const signers = init.sign?.(old, keys.root) ?? [...old.slice(0, 2), ...keys.root.slice(1, 3)]
    const signed = signedRoot(meta, signers)
    if (init.append !== false) {
      this.roots.push(signed)
      this.metas.push(meta)
      this.keys = keys
    }
    return { signed, meta, keys }
  }

  /** An attestation bundle for `subject`, issued at `now` (default NOW). */
  issue(
    subject: string,
    name: string,
    init: Partial<Omit<IssueInit, 'registryId' | 'subject' | 'name'>> = {}
  ): { bundle: Uint8Array; serial: Uint8Array } {
    const { bundle, attestation } = issueAttestation({
      registryId: this.registryId,
      rootVersion: this.latest.rootVersion,
      issuer: this.issuer,
      subject,
      name,
      now: NOW,
      ...init
    })
    return { bundle, serial: attestation.serial }
  }

  /** The next status list (strictly increasing seq unless given), signed, as a status record with the chain. */
  status(
    init: {
      revoked?: Uint8Array[]
      now?: number
      validMs?: number
      seq?: number
      logSize?: number
      key?: RegistryKeyPair
      chain?: Uint8Array
    } = {}
  ): { record: Uint8Array; signed: Uint8Array; list: StatusList } {
    const now = init.now ?? NOW
    const list: StatusList = {
      registryId: this.registryId,
      seq: init.seq ?? ++this.seq,
      issuedAt: now,
      nextUpdate: now + (init.validMs ?? DAY),
      revoked: init.revoked ?? [],
      ...(init.logSize !== undefined ? { logSize: init.logSize } : {})
    }
    const signed = signStatusList(list, init.key ?? this.statusKey)
    return { record: createStatusRecord(init.chain ?? this.chain(), signed), signed, list }
  }
}

/** A TrustView over a plain map (no chain walking), for verifyAttestation alone. */
export function trustView(entries: Record<string, { root: RootMetadata; status?: StatusList }>): TrustView {
  return {
    root: (id) => entries[id]?.root,
    status: (id) => entries[id]?.status
  }
}

/** A business identity (a PeerId with its key), cheap to make. */
export function business(): Identity {
  return createIdentity()
}

/** Flip one bit of a copy. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(bytes)
  out[bit >> 3]! ^= 1 << (bit & 7)
  return out
}

/** Where `needle` starts in `haystack` (-1 if absent). */
export function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(haystack).indexOf(Buffer.from(needle))
}

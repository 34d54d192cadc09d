import { logger } from '@libp2p/logger'
import {
  confusable,
  sanitizeDisplayName,
  type Trust,
  tryDecodeAttestationBundle,
  type VerificationResult,
  verdictExpiry,
  verifyAttestation
} from '../registry/index.ts'
import type { Store } from '../store/index.ts'

const log = logger('parley:messenger:verification')

/** How a peer is shown next to its messages. */
export interface PeerDisplay {
  /** What to show: the contact name, else the verified name, else the (sanitised) self-declared name. */
  name: string | null
  /** Draw the verified badge (only for `verified`). */
  badge: boolean
  /** A saved contact name is shown, but the peer is verified as this. */
  verifiedAs?: string
  /** The peer is NOT verified and its name looks like this verified business: warn, do not show as-is. */
  impersonationOf?: string
  source: 'contact' | 'verified' | 'profile' | 'none'
}

export interface VerifierInit {
  store: Store
  trust(): Trust
  selfPeerId: string
  /** This node's own bundle. */
  ownBundle(): Uint8Array | undefined
  /** Ask a peer for its bundle over /parley/attest/1.0.0. */
  fetch(peerId: string, signal: AbortSignal): Promise<Uint8Array | undefined>
  /** The self-declared name in a peer's cached profile. */
  profileName(peerId: string): string | undefined
  /** A verified peer's attested name changed from `from` to `to`. */
  onNameChange?(peerId: string, from: string, to: string): void
  now?: () => number
  /** Ask a peer again after this long. @default 1 hour */
  refetchMs?: number
}

export interface Verifier {
  /** A bundle a peer presented (profile record, attest protocol); kept if newer than the one held. */
  learn(peerId: string, bundle: Uint8Array | undefined, source: 'profile' | 'protocol'): void
  /** The result for a peer from what is known now (cached until the verdict can change). */
  verify(peerId: string): VerificationResult
  /** Ask the peer for its bundle if not asked recently, then verify. Never throws. */
  refresh(peerId: string, options?: { force?: boolean; timeoutMs?: number }): Promise<VerificationResult>
  display(peerId: string): PeerDisplay
  /** Forget cached verdicts (trust changed). */
  invalidate(): void
  readonly stats: { checks: number; cacheHits: number }
}

const META_BUNDLE = 'attestation:'
const META_NAME = 'verified-name:'

/**
 * Verification wherever a name is shown. Verdicts are cached until the earliest of the
 * attestation's expiry, the status list's next update and the root's expiry, or until trust
 * changes; the bundle a peer presented is kept in the store so it survives restarts.
 */
export function createVerifier(init: VerifierInit): Verifier {
  const now = init.now ?? Date.now
  const refetchMs = init.refetchMs ?? 60 * 60 * 1000
  const bundles = new Map<string, Uint8Array | null>()
  const fetchedAt = new Map<string, number>()
  const inflight = new Map<string, Promise<void>>()
  const verdicts = new Map<string, { result: VerificationResult; until: number; trustVersion: number }>()
  const stats = { checks: 0, cacheHits: 0 }

  const bundleOf = (peerId: string): Uint8Array | undefined => {
    if (peerId === init.selfPeerId) return init.ownBundle()
    let b = bundles.get(peerId)
    if (b === undefined) {
      const stored = init.store.getMeta(META_BUNDLE + peerId)
      b = stored === undefined ? null : Uint8Array.from(Buffer.from(stored, 'base64'))
      bundles.set(peerId, b)
    }
    return b ?? undefined
  }

  const issuedAt = (bundle: Uint8Array): number => tryDecodeAttestationBundle(bundle)?.attestation.issuedAt ?? -1

  const verify = (peerId: string): VerificationResult => {
    const t = now()
    const trust = init.trust()
    const cached = verdicts.get(peerId)
    if (cached !== undefined && cached.until > t && cached.trustVersion === trust.version) {
      stats.cacheHits++
      return cached.result
    }
    stats.checks++
    const bundle = bundleOf(peerId)
    const result = verifyAttestation({ bundle, peerId, trust, now: t })
    verdicts.set(peerId, { result, until: verdictExpiry(bundle, trust, t), trustVersion: trust.version })
    if (result.status === 'verified' && result.name !== undefined && peerId !== init.selfPeerId) {
      const previous = init.store.getMeta(META_NAME + peerId)
      if (previous !== result.name) {
        init.store.setMeta(META_NAME + peerId, result.name)
        if (previous !== undefined) init.onNameChange?.(peerId, previous, result.name)
      }
    }
    return result
  }

  const learn = (peerId: string, bundle: Uint8Array | undefined, source: 'profile' | 'protocol'): void => {
    if (peerId === init.selfPeerId) return
    const held = bundleOf(peerId)
    if (bundle === undefined || bundle.byteLength === 0) {
      // the peer itself says it has none: believe it (it may have been revoked and dropped)
      if (source === 'protocol' && held !== undefined) {
        bundles.set(peerId, null)
        init.store.deleteMeta(META_BUNDLE + peerId)
        verdicts.delete(peerId)
      }
      return
    }
    if (held !== undefined && Buffer.compare(held, bundle) === 0) return
    if (held !== undefined && issuedAt(bundle) < issuedAt(held)) return
    bundles.set(peerId, bundle)
    init.store.setMeta(META_BUNDLE + peerId, Buffer.from(bundle).toString('base64'))
    verdicts.delete(peerId)
  }

  /**
   * Verified businesses this node has seen, to flag look-alikes: kept in the store (not the verdict
   * cache, which a trust change clears), and each still checked before it counts.
   */
  const lookalikeOf = (peerId: string, name: string): string | undefined => {
    for (const { key, value } of init.store.metaWithPrefix(META_NAME)) {
      const other = key.slice(META_NAME.length)
      if (other === peerId || !confusable(value, name)) continue
      const v = verify(other)
      if (v.status === 'verified' && v.name !== undefined && confusable(v.name, name)) return v.name
    }
    return undefined
  }

  return {
    stats,
    learn,
    verify,
    async refresh(peerId, options = {}) {
      if (peerId === init.selfPeerId) return verify(peerId)
      const last = fetchedAt.get(peerId) ?? 0
      // a request already in flight answers this caller too (two messages of a business arriving
      // together must not show it unverified, then verified)
      const pending = inflight.get(peerId)
      if (pending !== undefined) await pending
      else if (options.force === true || now() - last >= refetchMs) {
        let p = inflight.get(peerId)
        if (p === undefined) {
          fetchedAt.set(peerId, now())
          p = init
            .fetch(peerId, AbortSignal.timeout(options.timeoutMs ?? 3_000))
            .then((bundle) => learn(peerId, bundle, 'protocol'))
            .catch((err: Error) => log('could not ask %s for its attestation: %s', peerId, err.message))
            .finally(() => inflight.delete(peerId))
          inflight.set(peerId, p)
        }
        await p
      }
      return verify(peerId)
    },
    display(peerId) {
      const result = verify(peerId)
      const contact = init.store.contactByPeer(peerId)
      if (result.status === 'verified' && result.name !== undefined) {
        if (contact !== undefined && contact.name !== result.name) {
          return { name: contact.name, badge: true, verifiedAs: result.name, source: 'contact' }
        }
        return { name: result.name, badge: true, source: 'verified' }
      }
      if (contact !== undefined) return { name: contact.name, badge: false, source: 'contact' }
      const declared = init.profileName(peerId)
      if (declared === undefined) return { name: null, badge: false, source: 'none' }
      const name = sanitizeDisplayName(declared)
      const lookalike = lookalikeOf(peerId, name)
      return {
        name,
        badge: false,
        source: 'profile',
        ...(lookalike !== undefined ? { impersonationOf: lookalike } : {})
      }
    },
    invalidate() {
      verdicts.clear()
    }
  }
}

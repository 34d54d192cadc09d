import { bytesEqual } from '../codec/index.ts'
import { ATTESTATION_SKEW_MS, SIG_TYPE_ATTESTATION } from '../constants.ts'
import type { CryptoEngine } from '../crypto/index.ts'
import { getEngine } from '../crypto/index.ts'
import { peerIdToBytes } from '../identity/index.ts'
import { decodeAttestationBundle } from './attestation.ts'
import type { Attestation, RootMetadata, StatusList } from './formats.ts'
import { businessNameProblem, nameSkeleton } from './names.ts'
import { countRoleSignatures, rootKeys } from './root.ts'
import { isRevoked } from './status.ts'

/** The outcome of checking a peer's business claim: never a bare boolean. */
export type VerificationStatus =
  | 'verified'
  | 'unverified'
  | 'invalid'
  | 'expired'
  | 'revoked'
  | 'stale'
  | 'untrusted-registry'

export interface VerificationResult {
  status: VerificationStatus
  /** The attested name (for verified, and for the grey states so the UI can say who it claimed to be). */
  name?: string
  registryId?: string
  /** ISO 8601. */
  expiresAt?: string
  reason?: string
}

/** What a node trusts: registries (their latest verified root) and the freshest status list of each. */
export interface TrustView {
  root(registryId: string): RootMetadata | undefined
  status(registryId: string): StatusList | undefined
}

export interface VerifyInit {
  /** The attestation bundle the peer presented (profile record or /parley/attest/1.0.0), if any. */
  bundle: Uint8Array | undefined
  /** The peer it must belong to: the Noise-authenticated remote peer, or the envelope's signed sender. */
  peerId: string
  trust: TrustView
  now?: number
  engine?: CryptoEngine
}

const iso = (ms: number): string => new Date(ms).toISOString()
/** The latest time (ms since 1970) a Date can hold (ECMA-262 §21.4.1.1). */
const MAX_DATE_MS = 8.64e15

/**
 * Check an attestation bundle (notes/verification.md §3): decode strictly; the registry must be
 * trusted; the issuing key must be in the issuer role of the registry's current root, which must
 * not be expired; the subject must be the peer; now must be inside the validity window (5 minutes
 * of skew); the serial must not be on the freshest status list held, and that list must be fresh
 * (its next-update not passed) or the badge goes grey (`stale`); the name must pass the name
 * policy and match its skeleton.
 */
export function verifyAttestation(init: VerifyInit): VerificationResult {
  const engine = init.engine ?? getEngine()
  const now = init.now ?? Date.now()
  if (init.bundle === undefined || init.bundle.byteLength === 0) return { status: 'unverified' }
  let attestation: Attestation
  let payload: Uint8Array
  let signature: ReturnType<typeof decodeAttestationBundle>['signature']
  try {
    ;({ attestation, payload, signature } = decodeAttestationBundle(init.bundle))
  } catch (err) {
    return { status: 'invalid', reason: `malformed attestation: ${(err as Error).message}` }
  }
  // checked before anything is formatted: a time a Date cannot hold would throw in toISOString
  if (Math.max(attestation.issuedAt, attestation.notBefore, attestation.expiresAt) > MAX_DATE_MS) {
    return { status: 'invalid', reason: 'malformed attestation: a time past what a date can hold' }
  }
  const base = { name: attestation.name, registryId: attestation.registryId, expiresAt: iso(attestation.expiresAt) }
  const root = init.trust.root(attestation.registryId)
  if (root === undefined)
    return { ...base, status: 'untrusted-registry', reason: 'this node does not trust the registry' }

  let subject: Uint8Array
  try {
    subject = peerIdToBytes(init.peerId)
  } catch {
    return { ...base, status: 'invalid', reason: 'not a PeerId' }
  }
  if (!bytesEqual(attestation.subject, subject)) {
    return { ...base, status: 'invalid', reason: 'the attestation belongs to another peer' }
  }
  if (!bytesEqual(signature.kid, attestation.issuerKid))
    return { ...base, status: 'invalid', reason: 'issuer key mismatch' }
  if (
    countRoleSignatures(SIG_TYPE_ATTESTATION, payload, [signature], root.issuer, rootKeys(root), engine) <
    root.issuer.threshold
  ) {
    return { ...base, status: 'invalid', reason: "not signed by an issuing key of the registry's current root" }
  }
  const problem = businessNameProblem(attestation.name)
  if (problem !== undefined) return { ...base, status: 'invalid', reason: `name refused: ${problem}` }
  if (attestation.skeleton !== nameSkeleton(attestation.name))
    return { ...base, status: 'invalid', reason: 'name skeleton mismatch' }
  if (attestation.expiresAt <= attestation.notBefore)
    return { ...base, status: 'invalid', reason: 'empty validity window' }
  if (now + ATTESTATION_SKEW_MS < attestation.notBefore) return { ...base, status: 'invalid', reason: 'not valid yet' }

  const status = init.trust.status(attestation.registryId)
  if (status !== undefined && isRevoked(status, attestation.serial)) {
    return { ...base, status: 'revoked', reason: `revoked (status list ${status.seq})` }
  }
  if (now >= attestation.expiresAt) return { ...base, status: 'expired', reason: 'the attestation has expired' }
  if (root.expiresAt <= now) return { ...base, status: 'stale', reason: "the registry's root metadata has expired" }
  if (status === undefined) return { ...base, status: 'stale', reason: 'no status list from the registry yet' }
  if (status.nextUpdate <= now) {
    return {
      ...base,
      status: 'stale',
      reason: `the registry's status list is out of date (next update was ${iso(status.nextUpdate)})`
    }
  }
  if (attestation.logIndex !== undefined && status.logSize !== undefined && status.logSize <= attestation.logIndex) {
    return { ...base, status: 'stale', reason: 'the status list predates this attestation' }
  }
  return { ...base, status: 'verified' }
}

/** When a verdict stops being valid: the earliest of the attestation's expiry, the status list's next update and the root's expiry. */
export function verdictExpiry(bundle: Uint8Array | undefined, trust: TrustView, now: number): number {
  if (bundle === undefined) return Number.POSITIVE_INFINITY
  try {
    const { attestation } = decodeAttestationBundle(bundle)
    const root = trust.root(attestation.registryId)
    const status = trust.status(attestation.registryId)
    return Math.min(
      attestation.expiresAt,
      attestation.notBefore - ATTESTATION_SKEW_MS > now
        ? attestation.notBefore - ATTESTATION_SKEW_MS
        : Number.POSITIVE_INFINITY,
      status?.nextUpdate ?? Number.POSITIVE_INFINITY,
      root?.expiresAt ?? Number.POSITIVE_INFINITY
    )
  } catch {
    return Number.POSITIVE_INFINITY
  }
}

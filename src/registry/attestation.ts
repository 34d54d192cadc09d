import {
  ATTESTATION_SERIAL_BYTES,
  DEFAULT_ATTESTATION_DAYS,
  MAX_ATTESTATION_DAYS,
  SIG_TYPE_ATTESTATION
} from '../constants.ts'
import type { CryptoEngine } from '../crypto/index.ts'
import { getEngine, signTyped } from '../crypto/index.ts'
import { DecodeError, IssuanceRefusedError, OversizedError } from '../errors.ts'
import { peerIdToBytes } from '../identity/index.ts'
import { type Attestation, AttestationBundle, Attestation as AttestationSchema, type KeySignature } from './formats.ts'
import { businessNameProblem, nameSkeleton } from './names.ts'
import type { RegistryKeyPair } from './root.ts'

const DAY_MS = 24 * 60 * 60 * 1000

export interface IssueInit {
  registryId: string
  rootVersion: number
  issuer: RegistryKeyPair
  /** The business's PeerId. */
  subject: string
  name: string
  /** Lifetime in days. @default 14, at most 90 */
  days?: number
  domain?: string
  country?: string
  category?: string
  logIndex?: number
  now?: number
  /** 16 bytes. @default random */
  serial?: Uint8Array
  engine?: CryptoEngine
}

/** Sign an attestation. The name policy is applied here too: a registry never signs a name it would refuse. */
export function issueAttestation(init: IssueInit): { bundle: Uint8Array; attestation: Attestation } {
  const engine = init.engine ?? getEngine()
  const problem = businessNameProblem(init.name)
  if (problem !== undefined)
    throw new IssuanceRefusedError(`refusing the name ${JSON.stringify(init.name)}: ${problem}`, 'name')
  const days = init.days ?? DEFAULT_ATTESTATION_DAYS
  if (!Number.isInteger(days) || days < 1 || days > MAX_ATTESTATION_DAYS) {
    throw new IssuanceRefusedError(`--days must be a whole number from 1 to ${MAX_ATTESTATION_DAYS}`, 'days')
  }
  if (init.country !== undefined && !/^[A-Z]{2}$/.test(init.country)) {
    throw new IssuanceRefusedError('--country is an ISO 3166 two-letter code in capitals', 'country')
  }
  if (
    init.domain !== undefined &&
    !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(init.domain)
  ) {
    throw new IssuanceRefusedError(`not a domain name: ${JSON.stringify(init.domain)}`, 'domain')
  }
  if (init.category !== undefined && (init.category.length === 0 || businessNameProblem(init.category) !== undefined)) {
    throw new IssuanceRefusedError('--category must be plain text', 'category')
  }
  const now = init.now ?? Date.now()
  const attestation: Attestation = {
    registryId: init.registryId,
    rootVersion: init.rootVersion,
    issuerKid: init.issuer.kid,
    subject: peerIdToBytes(init.subject),
    serial: init.serial ?? engine.randomBytes(ATTESTATION_SERIAL_BYTES),
    issuedAt: now,
    notBefore: now,
    expiresAt: now + days * DAY_MS,
    name: init.name,
    skeleton: nameSkeleton(init.name),
    ...(init.domain !== undefined ? { domain: init.domain.toLowerCase() } : {}),
    ...(init.country !== undefined ? { country: init.country } : {}),
    ...(init.category !== undefined ? { category: init.category } : {}),
    ...(init.logIndex !== undefined ? { logIndex: init.logIndex } : {})
  }
  const payload = AttestationSchema.encode(attestation)
  const signature: KeySignature = {
    kid: init.issuer.kid,
    signature: signTyped(init.issuer.signer, SIG_TYPE_ATTESTATION, payload)
  }
  return { bundle: AttestationBundle.encode({ payload, signature }), attestation }
}

/** Decode a bundle and its attestation (no signature check). Throws DecodeError/OversizedError. */
export function decodeAttestationBundle(bytes: Uint8Array): {
  attestation: Attestation
  payload: Uint8Array
  signature: KeySignature
} {
  const bundle = AttestationBundle.decode(bytes)
  return { attestation: AttestationSchema.decode(bundle.payload), payload: bundle.payload, signature: bundle.signature }
}

/** Like decodeAttestationBundle, but undefined instead of an error. */
export function tryDecodeAttestationBundle(bytes: Uint8Array): ReturnType<typeof decodeAttestationBundle> | undefined {
  try {
    return decodeAttestationBundle(bytes)
  } catch (err) {
    if (err instanceof DecodeError || err instanceof OversizedError) return undefined
    throw err
  }
}

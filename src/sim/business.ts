import {
  createStatusRecord,
  createTrust,
  encodeRootChain,
  issueAttestation,
  registryKeyPair,
  signRoot,
  signStatusList,
  type Trust,
  verifyRootChain
} from '../registry/index.ts'
import { deriveBytes } from './rng.ts'

/**
 * A registry for a simulation, its keys derived from the seed: root v1, one attestation for the
 * business node, a fresh status list. Every customer trusts it; everyone else does not.
 */
export function simRegistry(seed: number | string, business: { peerId: string; name: string }, now = Date.now()) {
  const root = [0, 1, 2].map((i) => registryKeyPair(deriveBytes(seed, `registry/root/${i}`)))
  const issuer = registryKeyPair(deriveBytes(seed, 'registry/issuer'))
  const status = registryKeyPair(deriveBytes(seed, 'registry/status'))
  const meta = {
    rootVersion: 1,
    name: 'Simulation registry',
    createdAt: now,
    expiresAt: now + 365 * 24 * 3_600_000,
    keys: [...root, issuer, status].map((k) => ({ kid: k.kid, publicKey: k.publicKey })),
    root: { kids: root.map((k) => k.kid), threshold: 2 },
    issuer: { kids: [issuer.kid], threshold: 1 },
    status: { kids: [status.kid], threshold: 1 }
  }
  const chain = encodeRootChain([signRoot(meta, root)])
  const { registryId } = verifyRootChain(chain)
  const { bundle } = issueAttestation({
    registryId,
    rootVersion: 1,
    issuer,
    subject: business.peerId,
    name: business.name,
    now,
    serial: deriveBytes(seed, 'registry/serial').slice(0, 16)
  })
  const statusRecord = createStatusRecord(
    chain,
    signStatusList({ registryId, seq: 1, issuedAt: now, nextUpdate: now + 24 * 3_600_000, revoked: [] }, status)
  )
  return { registryId, bundle, chain, statusRecord }
}

/** A fresh trust store holding a simulation registry and its status list. */
export function simTrust(registry: { chain: Uint8Array; statusRecord: Uint8Array }, now = Date.now()): Trust {
  const t = createTrust()
  t.addRoot(registry.chain, now)
  t.importStatus(registry.statusRecord)
  return t
}

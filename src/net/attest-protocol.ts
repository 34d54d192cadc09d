import type { Libp2p } from '@libp2p/interface'
import { bytes, defineSchema, optional } from '../codec/index.ts'
import { ATTEST_PROTOCOL, MAX_ATTESTATION_BUNDLE_BYTES } from '../constants.ts'
import { fetchOneFrame, serveOneFrame } from './one-frame.ts'

/** The answer on /parley/attest/1.0.0: this node's attestation bundle, or none. */
export const AttestReply = defineSchema({
  name: 'attest-reply',
  version: 1,
  maxBytes: MAX_ATTESTATION_BUNDLE_BYTES + 64,
  fields: { bundle: optional(1, bytes({ max: MAX_ATTESTATION_BUNDLE_BYTES })) }
})

/**
 * Serve /parley/attest/1.0.0: whoever opens a stream gets one frame with our attestation bundle
 * (like OCSP stapling: a customer verifies a business without a DHT lookup). The peer sends nothing.
 */
export function serveAttestation(node: Libp2p, current: () => Uint8Array | undefined): Promise<() => Promise<void>> {
  return serveOneFrame(node, ATTEST_PROTOCOL, () => {
    const bundle = current()
    return AttestReply.encode(bundle === undefined ? {} : { bundle })
  })
}

/** Ask a peer for its attestation bundle. Resolves undefined if it has none; throws if it cannot be asked. */
export async function fetchAttestation(
  node: Libp2p,
  peerId: string,
  signal: AbortSignal
): Promise<Uint8Array | undefined> {
  const reply = await fetchOneFrame(node, peerId, ATTEST_PROTOCOL, {
    maxBytes: MAX_ATTESTATION_BUNDLE_BYTES + 64,
    decode: (b) => AttestReply.decode(b),
    what: 'attestation reply',
    signal
  })
  return reply?.bundle
}

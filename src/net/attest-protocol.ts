import type { Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import * as lp from 'it-length-prefixed'
import { bytes, defineSchema, optional } from '../codec/index.ts'
import { ATTEST_PROTOCOL, MAX_ATTESTATION_BUNDLE_BYTES } from '../constants.ts'
import { MalformedFrameError } from '../errors.ts'

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
export async function serveAttestation(
  node: Libp2p,
  current: () => Uint8Array | undefined
): Promise<() => Promise<void>> {
  await node.handle(
    ATTEST_PROTOCOL,
    async (stream: Stream) => {
      try {
        const bundle = current()
        const frame = lp.encode.single(AttestReply.encode(bundle === undefined ? {} : { bundle })).subarray()
        if (!stream.send(frame)) await stream.onDrain({ signal: AbortSignal.timeout(5_000) })
        await stream.close({ signal: AbortSignal.timeout(5_000) })
      } catch (err) {
        stream.abort(err as Error)
      }
    },
    { maxInboundStreams: 4, maxOutboundStreams: 4 }
  )
  return () => node.unhandle(ATTEST_PROTOCOL)
}

/** Ask a peer for its attestation bundle. Resolves undefined if it has none; throws if it cannot be asked. */
export async function fetchAttestation(
  node: Libp2p,
  peerId: string,
  signal: AbortSignal
): Promise<Uint8Array | undefined> {
  const stream = await node.dialProtocol(peerIdFromString(peerId), ATTEST_PROTOCOL, { signal })
  try {
    for await (const frame of lp.decode(stream, { maxDataLength: MAX_ATTESTATION_BUNDLE_BYTES + 64 })) {
      let reply: ReturnType<typeof AttestReply.decode>
      try {
        reply = AttestReply.decode(frame.subarray())
      } catch (err) {
        throw new MalformedFrameError(`malformed attestation reply from ${peerId}: ${(err as Error).message}`)
      }
      await stream.close().catch(() => {})
      return reply.bundle
    }
    return undefined
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
}

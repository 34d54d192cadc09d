import type { Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import * as lp from 'it-length-prefixed'
import { bytes, defineSchema, optional } from '../codec/index.ts'
import { PROFILE_PROTOCOL } from '../constants.ts'
import { MAX_PROFILE_RECORD_BYTES } from '../directory/index.ts'
import { MalformedFrameError } from '../errors.ts'

/** The answer on /parley/profile/1.0.0: the profile record this node last published, or none yet. */
export const ProfileReply = defineSchema({
  name: 'profile-reply',
  version: 1,
  maxBytes: MAX_PROFILE_RECORD_BYTES + 64,
  fields: { record: optional(1, bytes({ max: MAX_PROFILE_RECORD_BYTES })) }
})

/**
 * Serve /parley/profile/1.0.0: whoever opens a stream gets one frame with the signed profile record
 * this node last published. A node is the one authority on its newest profile, so a sender that
 * reached it needs no DHT quorum to know the record is current. The peer sends nothing.
 */
export async function serveProfile(node: Libp2p, current: () => Uint8Array | undefined): Promise<() => Promise<void>> {
  await node.handle(
    PROFILE_PROTOCOL,
    async (stream: Stream) => {
      try {
        const record = current()
        const frame = lp.encode.single(ProfileReply.encode(record === undefined ? {} : { record })).subarray()
        if (!stream.send(frame)) await stream.onDrain({ signal: AbortSignal.timeout(5_000) })
        await stream.close({ signal: AbortSignal.timeout(5_000) })
      } catch (err) {
        stream.abort(err as Error)
      }
    },
    { maxInboundStreams: 4, maxOutboundStreams: 4 }
  )
  return () => node.unhandle(PROFILE_PROTOCOL)
}

/**
 * Ask a peer for the profile record it last published (dialling it if need be). Resolves undefined
 * if it has none; throws if it cannot be asked or answers garbage. The caller verifies the record.
 */
export async function fetchProfile(node: Libp2p, peerId: string, signal: AbortSignal): Promise<Uint8Array | undefined> {
  const stream = await node.dialProtocol(peerIdFromString(peerId), PROFILE_PROTOCOL, { signal })
  // a peer that opens the stream and never answers must not hold the caller past its signal
  const onAbort = (): void => stream.abort(signal.reason as Error)
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    for await (const frame of lp.decode(stream, { maxDataLength: MAX_PROFILE_RECORD_BYTES + 64 })) {
      let reply: ReturnType<typeof ProfileReply.decode>
      try {
        reply = ProfileReply.decode(frame.subarray())
      } catch (err) {
        throw new MalformedFrameError(`malformed profile reply from ${peerId}: ${(err as Error).message}`)
      }
      await stream.close().catch(() => {})
      return reply.record
    }
    return undefined
  } catch (err) {
    stream.abort(err as Error)
    throw err
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

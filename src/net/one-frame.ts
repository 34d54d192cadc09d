import type { Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import * as lp from 'it-length-prefixed'
import { MalformedFrameError } from '../errors.ts'

/**
 * Serve a one-frame protocol: whoever opens a stream gets one length-prefixed frame, built when it
 * asks, and the stream closes. The asker sends nothing. (/parley/attest/1.0.0, /parley/profile/1.0.0)
 */
export async function serveOneFrame(
  node: Libp2p,
  protocol: string,
  frame: () => Uint8Array
): Promise<() => Promise<void>> {
  await node.handle(
    protocol,
    async (stream: Stream) => {
      try {
        if (!stream.send(lp.encode.single(frame()).subarray()))
          await stream.onDrain({ signal: AbortSignal.timeout(5_000) })
        await stream.close({ signal: AbortSignal.timeout(5_000) })
      } catch (err) {
        stream.abort(err as Error)
      }
    },
    { maxInboundStreams: 4, maxOutboundStreams: 4 }
  )
  return () => node.unhandle(protocol)
}

/**
 * Ask a peer on a one-frame protocol (dialling it if need be) and decode its frame, at most
 * `maxBytes` long. Resolves undefined if the stream ends with no frame; throws if the peer cannot
 * be asked, the frame does not decode (MalformedFrameError), or `signal` fires first, even on a
 * peer that opened the stream and says nothing.
 */
export async function fetchOneFrame<T>(
  node: Libp2p,
  peerId: string,
  protocol: string,
  init: { maxBytes: number; decode(bytes: Uint8Array): T; what: string; signal: AbortSignal }
): Promise<T | undefined> {
  const { signal } = init
  const stream = await node.dialProtocol(peerIdFromString(peerId), protocol, { signal })
  const onAbort = (): void => stream.abort(signal.reason as Error)
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    for await (const frame of lp.decode(stream, { maxDataLength: init.maxBytes })) {
      let reply: T
      try {
        reply = init.decode(frame.subarray())
      } catch (err) {
        throw new MalformedFrameError(`malformed ${init.what} from ${peerId}: ${(err as Error).message}`)
      }
      await stream.close().catch(() => {})
      return reply
    }
    return undefined
  } catch (err) {
    stream.abort(err as Error)
    throw err
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

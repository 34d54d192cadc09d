import type { Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import * as lp from 'it-length-prefixed'
import { bytes, defineSchema, optional } from '../codec/index.ts'
import { MalformedFrameError } from '../errors.ts'

export interface OneFrameProtocolInit {
  /** The protocol id, e.g. /parley/profile/1.0.0. */
  protocol: string
  /** Names the reply in errors, e.g. 'profile-reply'. */
  name: string
  /** The largest value a reply may carry. */
  maxValueBytes: number
}

/** A one-frame protocol: whoever opens a stream gets one frame holding a value or none, and the stream closes. */
export interface OneFrameProtocol {
  /** Answer every stream with what `current()` holds then; resolves to a function that stops serving. */
  serve(node: Libp2p, current: () => Uint8Array | undefined): Promise<() => Promise<void>>
  /**
   * Ask a peer (dialling it if need be). Resolves undefined if it holds no value (or the stream
   * ends with no frame); throws if it cannot be asked, the frame does not decode
   * (MalformedFrameError), or `signal` fires first, even on a peer that opened the stream and says nothing.
   */
  fetch(node: Libp2p, peerId: string, signal: AbortSignal): Promise<Uint8Array | undefined>
}

/** The reply: `{ value? }` under key 1, the value at most maxValueBytes. */
const replySchema = (name: string, maxValueBytes: number) =>
  defineSchema({
    name,
    version: 1,
    maxBytes: maxValueBytes + 64,
    fields: { value: optional(1, bytes({ max: maxValueBytes })) }
  })

/**
 * Define a one-frame protocol (/parley/attest/1.0.0, /parley/profile/1.0.0): the asker sends
 * nothing, the server answers with one length-prefixed frame, its length checked before the
 * frame is read.
 */
export function oneFrameProtocol(init: OneFrameProtocolInit): OneFrameProtocol {
  const { protocol, name } = init
  const Reply = replySchema(name, init.maxValueBytes)
  return {
    async serve(node, current) {
      await node.handle(
        protocol,
        async (stream: Stream) => {
          try {
            const value = current()
            const frame = lp.encode.single(Reply.encode(value === undefined ? {} : { value })).subarray()
            if (!stream.send(frame)) await stream.onDrain({ signal: AbortSignal.timeout(5_000) })
            await stream.close({ signal: AbortSignal.timeout(5_000) })
          } catch (err) {
            stream.abort(err as Error)
          }
        },
        { maxInboundStreams: 4, maxOutboundStreams: 4 }
      )
      return () => node.unhandle(protocol)
    },
    async fetch(node, peerId, signal) {
      const stream = await node.dialProtocol(peerIdFromString(peerId), protocol, { signal })
      const onAbort = (): void => stream.abort(signal.reason as Error)
      signal.addEventListener('abort', onAbort, { once: true })
      try {
        for await (const frame of lp.decode(stream, { maxDataLength: Reply.maxBytes })) {
          let reply: ReturnType<typeof Reply.decode>
          try {
            reply = Reply.decode(frame.subarray())
          } catch (err) {
            throw new MalformedFrameError(`malformed ${name} from ${peerId}: ${(err as Error).message}`)
          }
          await stream.close().catch(() => {})
          return reply.value
        }
        return undefined
      } catch (err) {
        stream.abort(err as Error)
        throw err
      } finally {
        signal.removeEventListener('abort', onAbort)
      }
    }
  }
}

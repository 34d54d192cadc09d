/** Raw /parley/msg/1.0.0 streams for tests that craft frames by hand. */
import type { Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import * as lp from 'it-length-prefixed'
import { MSG_PROTOCOL } from '../../src/constants.ts'
import { AckFrame as AckSchema } from '../../src/net/frames.ts'
import type { ParleyLibp2p } from '../../src/net/index.ts'
import { type AckFrame, MessageFrame } from '../../src/net/index.ts'

/** A length-prefixed MessageFrame, as a client sends it. */
export function messageFrame(seq: number, envelope: Uint8Array): Uint8Array {
  return lp.encode.single(MessageFrame.encode({ seq, envelope })).subarray()
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

/** An unsigned LEB128 varint (the length prefix it-length-prefixed uses). */
export function varint(n: number): Uint8Array {
  const out: number[] = []
  let v = n
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80)
    v = Math.floor(v / 0x80)
  }
  out.push(v)
  return Uint8Array.from(out)
}

export interface StreamEnd {
  /** 'closed' (clean end), or 'reset' (the remote reset it, or it errored). */
  how: 'closed' | 'reset'
  error?: Error
}

/**
 * A message stream driven by hand: `send` writes raw bytes, `ack()` waits for the next ack, and
 * `ended` settles when the stream ends (cleanly or by a reset).
 */
export interface RawMsgStream {
  stream: Stream
  send(bytes: Uint8Array): Promise<void>
  ack(timeoutMs?: number): Promise<AckFrame>
  readonly acks: AckFrame[]
  readonly ended: Promise<StreamEnd>
}

export async function openRawStream(from: ParleyLibp2p, to: ParleyLibp2p | string): Promise<RawMsgStream> {
  const target = typeof to === 'string' ? multiaddr(to) : to.peerId
  const stream = await from.dialProtocol(target, MSG_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
  return wrapRawStream(stream)
}

export function wrapRawStream(stream: Stream): RawMsgStream {
  const acks: AckFrame[] = []
  const waiters: Array<() => void> = []
  let done = false
  const ended = (async (): Promise<StreamEnd> => {
    try {
      for await (const chunk of lp.decode(stream, { maxDataLength: 1024 })) {
        acks.push(AckSchema.decode(chunk.subarray()))
        for (const w of waiters.splice(0)) w()
      }
      return { how: stream.status === 'reset' ? 'reset' : 'closed' }
    } catch (err) {
      return { how: 'reset', error: err as Error }
    } finally {
      done = true
      for (const w of waiters.splice(0)) w()
    }
  })()
  let taken = 0
  return {
    stream,
    acks,
    ended,
    async send(bytes) {
      if (!stream.send(bytes)) await stream.onDrain({ signal: AbortSignal.timeout(10_000) })
    },
    async ack(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (acks.length <= taken) {
        if (done) throw new Error('the stream ended before the ack came')
        if (Date.now() > deadline) throw new Error('no ack in time')
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, 50)
        })
      }
      return acks[taken++]!
    }
  }
}

/** Resolves with the stream's end, or rejects if it is still open after `ms`. */
export async function endsWithin(raw: RawMsgStream, ms: number): Promise<StreamEnd> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stream still open after ${ms} ms (status ${raw.stream.status})`)), ms)
  })
  try {
    return await Promise.race([raw.ended, timeout])
  } finally {
    clearTimeout(timer)
  }
}

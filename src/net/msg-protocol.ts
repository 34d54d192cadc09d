import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import * as lp from 'it-length-prefixed'
import {
  DEFAULT_RATE_LIMIT_BURST,
  DEFAULT_RATE_LIMIT_PER_SECOND,
  MAX_FRAMES_IN_FLIGHT,
  MAX_MSG_FRAME_BYTES,
  MSG_PROTOCOL
} from '../constants.ts'
import { ChannelClosedError, type DecodeError, MalformedFrameError } from '../errors.ts'
import { AckFrame, type AckStatus, MessageFrame } from './frames.ts'
import { type NodeLimits, USER_LIMITS } from './limits.ts'
import { createRateLimiter, type RateLimiter } from './rate-limit.ts'

const log = logger('parley:net:msg')

/** What the receiving side decided about one envelope. */
export interface InboundOutcome {
  status: AckStatus
  reason?: string
  retryAfterMs?: number
}

/**
 * Called for each envelope received. Resolve only once the message is durably committed (or
 * known to be a duplicate): the ack goes out when this resolves.
 */
export type EnvelopeHandler = (envelope: Uint8Array, from: string) => InboundOutcome | Promise<InboundOutcome>

export interface MessageServerInit {
  onEnvelope: EnvelopeHandler
  /** Per remote peer. @default 20/s, burst 40 */
  rateLimit?: { perSecond: number; burst: number }
  /** @default USER_LIMITS */
  limits?: NodeLimits
}

export interface MessageServer {
  readonly limiter: RateLimiter
  stop(): Promise<void>
}

function encodeAck(ack: AckFrame): Uint8Array {
  return lp.encode.single(AckFrame.encode(ack)).subarray()
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.byteLength
  const out = new Uint8Array(length)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

async function sendOrWait(stream: Stream, data: Uint8Array): Promise<void> {
  if (!stream.send(data)) await stream.onDrain({ signal: AbortSignal.timeout(30_000) })
}

/**
 * Serve /parley/msg/1.0.0: read length-prefixed frames (length checked before allocation),
 * hand each envelope to `onEnvelope`, and answer with acks in frame order. A malformed or
 * oversized frame resets this stream only. Frames over the peer's rate limit are answered
 * `rate-limited` and change nothing.
 */
export async function serveMessages(node: Libp2p, init: MessageServerInit): Promise<MessageServer> {
  const limits = init.limits ?? USER_LIMITS
  const limiter = createRateLimiter({
    perSecond: init.rateLimit?.perSecond ?? DEFAULT_RATE_LIMIT_PER_SECOND,
    burst: init.rateLimit?.burst ?? DEFAULT_RATE_LIMIT_BURST
  })
  const pruner = setInterval(() => limiter.prune(), 60_000)
  pruner.unref()

  const handler = async (stream: Stream, connection: Connection): Promise<void> => {
    const from = connection.remotePeer.toString()
    let inFlight = 0
    let paused = false
    let chain: Promise<void> = Promise.resolve()
    // Acks released together (a group commit resolves many outcomes in one turn) go out in ONE
    // write: one yamux frame and one noise message instead of one each. `written` orders the writes
    // and carries the backpressure: frames count as in flight until their ack was accepted.
    let acks: Uint8Array[] = []
    let flushQueued = false
    let written: Promise<void> = Promise.resolve()
    const flushAcks = (): void => {
      flushQueued = false
      if (acks.length === 0) return
      const parts = acks
      acks = []
      written = written
        .then(async () => {
          await sendOrWait(stream, parts.length === 1 ? parts[0]! : concatBytes(parts))
          inFlight -= parts.length
          idle.refresh()
          if (paused && inFlight < MAX_FRAMES_IN_FLIGHT / 2) {
            paused = false
            stream.resume()
          }
        })
        .catch((err: unknown) => {
          // The stream went away under pending acks (the peer reset it, the connection dropped).
          // Never let this reject: once the read loop has ended nobody awaits it, and an unhandled
          // rejection would take the whole node down. Stop reading this stream too.
          log('could not ack on the stream from %s: %s', from, err instanceof Error ? err.message : String(err))
          if (stream.status === 'open') {
            stream.abort(err instanceof Error ? err : new ChannelClosedError('message stream closed'))
          }
        })
    }
    const queueAck = (ack: Uint8Array): void => {
      acks.push(ack)
      if (!flushQueued) {
        flushQueued = true
        // runs once the microtasks of this turn are done, so every ack they release joins this write
        process.nextTick(flushAcks)
      }
    }
    const idle = setTimeout(function onIdle() {
      if (inFlight > 0) {
        idle.refresh()
        return
      }
      stream.abort(new ChannelClosedError('stream idle'))
    }, limits.streamInactivityTimeout)

    try {
      for await (const chunk of lp.decode(stream, { maxDataLength: MAX_MSG_FRAME_BYTES })) {
        idle.refresh()
        let frame: ReturnType<typeof MessageFrame.decode>
        try {
          frame = MessageFrame.decode(chunk.subarray())
        } catch (err) {
          throw new MalformedFrameError(`malformed frame from ${from}: ${(err as Error).message}`)
        }
        const wait = limiter.take(from)
        const outcome: Promise<InboundOutcome> =
          wait > 0
            ? Promise.resolve({ status: 'rate-limited', reason: 'too many messages', retryAfterMs: wait })
            : Promise.resolve()
                .then(() => init.onEnvelope(frame.envelope, from))
                .catch((err: Error) => {
                  log.error('handling a message from %s failed: %s', from, err.message)
                  return { status: 'unavailable' as const, reason: 'could not store the message' }
                })
        inFlight++
        if (inFlight >= MAX_FRAMES_IN_FLIGHT && !paused) {
          // stop reading (and stop granting the sender window) until acks catch up
          paused = true
          stream.pause()
        }
        const seq = frame.seq
        // acks in frame order: each waits for its own outcome and for the acks before it
        chain = chain
          .then(async () => {
            const o = await outcome
            queueAck(
              encodeAck({
                seq,
                status: o.status,
                ...(o.reason !== undefined ? { reason: o.reason.slice(0, 200) } : {}),
                ...(o.retryAfterMs !== undefined ? { retryAfterMs: Math.min(o.retryAfterMs, 3_600_000) } : {})
              })
            )
          })
          .catch((err: unknown) => {
            // never let the chain reject either (see flushAcks)
            log('could not ack on the stream from %s: %s', from, err instanceof Error ? err.message : String(err))
            if (stream.status === 'open') {
              stream.abort(err instanceof Error ? err : new ChannelClosedError('message stream closed'))
            }
          })
      }
      await chain
      flushAcks()
      await written
      await stream.close().catch(() => {})
    } catch (err) {
      const e = err as Error
      log('message stream from %s ended: %s', from, e.message)
      stream.abort(e)
    } finally {
      clearTimeout(idle)
    }
  }

  await node.handle(MSG_PROTOCOL, handler, {
    maxInboundStreams: limits.msgMaxInboundStreams,
    maxOutboundStreams: limits.msgMaxOutboundStreams
  })
  return {
    limiter,
    async stop() {
      clearInterval(pruner)
      await node.unhandle(MSG_PROTOCOL)
    }
  }
}

export interface MessageClientInit {
  /** Open a /parley/msg/1.0.0 stream to a peer (the caller decides how to find and dial it). */
  openStream(peerId: string, signal: AbortSignal): Promise<Stream>
  /** How long to wait for an ack before giving up on the stream. @default 30_000 */
  ackTimeoutMs?: number
  /** Close our stream to a peer after this long without traffic. @default 20_000 */
  idleMs?: number
  /** Frames in flight per stream. @default MAX_FRAMES_IN_FLIGHT */
  maxInFlight?: number
}

interface Pending {
  resolve(ack: AckFrame): void
  reject(err: Error): void
}

interface Channel {
  stream: Stream
  nextSeq: number
  pending: Map<number, Pending>
  slots: Array<() => void>
  closed: boolean
  idle: NodeJS.Timeout
  /** Frames queued by any sender this turn, written together (one noise message, not one each). */
  outgoing: Uint8Array[]
  outgoingBytes: number
  writeQueued: boolean
  /** Set while the stream asks us to wait before writing more. */
  drain?: Promise<void>
}

export interface MessageClient {
  /**
   * Send envelopes to a peer, pipelined on one reused stream; resolves with one ack per envelope
   * in order. Rejects (ChannelClosedError, dial errors) if the stream fails before every ack came.
   */
  send(peerId: string, envelopes: Uint8Array[], options?: { signal?: AbortSignal }): Promise<AckFrame[]>
  /** Drop the stream to a peer (e.g. after the peer's connection closed). */
  close(peerId: string): void
  closeAll(): void
  /** Peers with an open stream. */
  readonly openChannels: number
}

/** The sending side of /parley/msg/1.0.0: one long-lived stream per peer. */
export function createMessageClient(init: MessageClientInit): MessageClient {
  const ackTimeoutMs = init.ackTimeoutMs ?? 30_000
  const idleMs = init.idleMs ?? 20_000
  const maxInFlight = init.maxInFlight ?? MAX_FRAMES_IN_FLIGHT
  const channels = new Map<string, Channel>()
  const opening = new Map<string, Promise<Channel>>()

  const fail = (peerId: string, channel: Channel, err: Error): void => {
    if (channel.closed) return
    channel.closed = true
    clearTimeout(channel.idle)
    if (channels.get(peerId) === channel) channels.delete(peerId)
    for (const p of channel.pending.values()) p.reject(err)
    channel.pending.clear()
    for (const wake of channel.slots.splice(0)) wake()
    if (channel.stream.status === 'open') channel.stream.abort(err)
  }

  /** Write the frames queued so far in one send (coalesced: one yamux frame, one noise message). */
  const writeOut = (peerId: string, channel: Channel): void => {
    channel.writeQueued = false
    if (channel.outgoing.length === 0 || channel.closed) return
    const data = channel.outgoing.length === 1 ? channel.outgoing[0]! : concatBytes(channel.outgoing)
    channel.outgoing = []
    channel.outgoingBytes = 0
    try {
      if (!channel.stream.send(data) && channel.drain === undefined) {
        channel.drain = channel.stream
          .onDrain({ signal: AbortSignal.timeout(30_000) })
          .catch((err: Error) => {
            fail(peerId, channel, new ChannelClosedError(`writing to ${peerId} failed: ${err.message}`))
          })
          .finally(() => {
            channel.drain = undefined
          })
      }
    } catch (err) {
      fail(peerId, channel, new ChannelClosedError(`writing to ${peerId} failed: ${(err as Error).message}`))
    }
  }

  /**
   * Queue a frame. Frames queued by every sender in this turn of the event loop (a burst of acks
   * frees many slots at once) leave together once its microtasks are done; at most 64 KiB is held.
   */
  const queueFrame = (peerId: string, channel: Channel, frame: Uint8Array): void => {
    channel.outgoing.push(frame)
    channel.outgoingBytes += frame.byteLength
    if (channel.outgoingBytes >= 64 * 1024) writeOut(peerId, channel)
    else if (!channel.writeQueued) {
      channel.writeQueued = true
      process.nextTick(writeOut, peerId, channel)
    }
  }

  const readAcks = async (peerId: string, channel: Channel): Promise<void> => {
    try {
      for await (const chunk of lp.decode(channel.stream, { maxDataLength: 1024 })) {
        let ack: AckFrame
        try {
          ack = AckFrame.decode(chunk.subarray())
        } catch (err) {
          throw new MalformedFrameError(`malformed ack from ${peerId}: ${(err as DecodeError).message}`)
        }
        const p = channel.pending.get(ack.seq)
        if (p === undefined) continue
        channel.pending.delete(ack.seq)
        p.resolve(ack)
        channel.slots.shift()?.()
        channel.idle.refresh()
      }
      fail(peerId, channel, new ChannelClosedError(`${peerId} closed the message stream`))
    } catch (err) {
      fail(peerId, channel, new ChannelClosedError(`message stream to ${peerId} failed: ${(err as Error).message}`))
    }
  }

  const getChannel = async (peerId: string, signal: AbortSignal): Promise<Channel> => {
    const existing = channels.get(peerId)
    if (existing !== undefined && !existing.closed && existing.stream.status === 'open') return existing
    let p = opening.get(peerId)
    if (p === undefined) {
      p = (async () => {
        const stream = await init.openStream(peerId, signal)
        const channel: Channel = {
          stream,
          nextSeq: 0,
          pending: new Map(),
          slots: [],
          closed: false,
          outgoing: [],
          outgoingBytes: 0,
          writeQueued: false,
          idle: setTimeout(() => {
            if (channel.pending.size > 0) return channel.idle.refresh()
            channel.closed = true
            if (channels.get(peerId) === channel) channels.delete(peerId)
            stream.close().catch(() => stream.abort(new ChannelClosedError('idle')))
          }, idleMs)
        }
        channel.idle.unref()
        channels.set(peerId, channel)
        void readAcks(peerId, channel)
        return channel
      })().finally(() => opening.delete(peerId))
      opening.set(peerId, p)
    }
    return p
  }

  return {
    async send(peerId, envelopes, options = {}) {
      const signal = options.signal ?? AbortSignal.timeout(ackTimeoutMs)
      const channel = await getChannel(peerId, signal)
      const acks: Promise<AckFrame>[] = []
      for (const envelope of envelopes) {
        while (channel.pending.size >= maxInFlight && !channel.closed) {
          await new Promise<void>((resolve) => channel.slots.push(resolve))
        }
        if (channel.closed) break
        const seq = channel.nextSeq++
        const ack = new Promise<AckFrame>((resolve, reject) => {
          channel.pending.set(seq, { resolve, reject })
        })
        // a failed stream rejects every pending ack; the caller sees it once, through send()
        ack.catch(() => {})
        acks.push(ack)
        queueFrame(peerId, channel, lp.encode.single(MessageFrame.encode({ seq, envelope })).subarray())
        // the stream's buffer is full: wait until it drains before queueing more
        if (channel.drain !== undefined) await channel.drain
      }
      if (acks.length < envelopes.length) throw new ChannelClosedError(`message stream to ${peerId} closed`)
      return await new Promise<AckFrame[]>((resolve, reject) => {
        const onAbort = (): void => {
          const err = new ChannelClosedError(`no ack from ${peerId} in time`)
          fail(peerId, channel, err)
          reject(err)
        }
        if (signal.aborted) return onAbort()
        signal.addEventListener('abort', onAbort, { once: true })
        Promise.all(acks).then(
          (value) => {
            signal.removeEventListener('abort', onAbort)
            resolve(value)
          },
          (err: Error) => {
            signal.removeEventListener('abort', onAbort)
            reject(err)
          }
        )
      })
    },
    close(peerId) {
      const channel = channels.get(peerId)
      if (channel !== undefined) fail(peerId, channel, new ChannelClosedError('closed'))
    },
    closeAll() {
      for (const [peerId, channel] of channels) fail(peerId, channel, new ChannelClosedError('closed'))
    },
    get openChannels() {
      return channels.size
    }
  }
}

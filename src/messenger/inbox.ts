import { logger } from '@libp2p/logger'
import { ContentType } from '../constants.ts'
import { open as openEnvelope } from '../envelope/index.ts'
import { ParleyError } from '../errors.ts'
import type { Identity } from '../identity/index.ts'
import type { InboundOutcome } from '../net/index.ts'
import type { IncomingMessage, Store } from '../store/index.ts'

const log = logger('parley:messenger:inbox')
const utf8 = new TextDecoder('utf-8', { fatal: true })

export interface InboxInit {
  identity: Pick<Identity, 'peerId' | 'publicKey' | 'findEncryptionKey' | 'engine'>
  store: Store
  /** Called after a commit with the messages that were new (not duplicates). */
  onCommitted(messages: IncomingMessage[]): void
  now?: () => number
  /** Most messages committed in one transaction. @default 256 */
  maxBatch?: number
}

export interface Inbox {
  /** Open, check and commit one envelope; resolves with the ack to send once it is durable. */
  receive(envelope: Uint8Array, from: string): Promise<InboundOutcome>
  /** Commit what is queued now (shutdown). */
  flush(): void
  readonly stats: { received: number; duplicates: number; refused: number; commits: number }
}

interface Queued {
  message: IncomingMessage
  resolve(outcome: InboundOutcome): void
}

/**
 * The receiving side: each envelope is opened and checked, then queued; everything queued in one
 * turn of the event loop is committed in ONE transaction (group commit, fully synced), and only
 * then are the acks released. Exactly once in the inbox: duplicates are acked, never stored twice.
 */
export function createInbox(init: InboxInit): Inbox {
  const now = init.now ?? Date.now
  const maxBatch = init.maxBatch ?? 256
  const queue: Queued[] = []
  let scheduled = false
  const stats = { received: 0, duplicates: 0, refused: 0, commits: 0 }

  const flush = (): void => {
    scheduled = false
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch)
      let outcomes: string[]
      try {
        outcomes = init.store.insertIncoming(batch.map((q) => q.message))
        stats.commits++
      } catch (err) {
        log.error('committing %d messages failed: %s', batch.length, (err as Error).message)
        for (const q of batch) q.resolve({ status: 'unavailable', reason: 'could not store the message' })
        continue
      }
      const fresh: IncomingMessage[] = []
      batch.forEach((q, i) => {
        if (outcomes[i] === 'inserted') {
          stats.received++
          fresh.push(q.message)
          q.resolve({ status: 'ok' })
        } else {
          stats.duplicates++
          q.resolve({ status: 'duplicate' })
        }
      })
      if (fresh.length > 0) {
        try {
          init.onCommitted(fresh)
        } catch (err) {
          log.error('message listener failed: %s', (err as Error).message)
        }
      }
    }
  }

  return {
    stats,
    flush,
    receive(envelope, from) {
      let opened: ReturnType<typeof openEnvelope>
      const t = now()
      try {
        opened = openEnvelope(envelope, init.identity, { now: t })
      } catch (err) {
        stats.refused++
        const reason = err instanceof ParleyError ? err.name : 'MalformedEnvelopeError'
        log('refused an envelope from %s: %s', from, (err as Error).message)
        return Promise.resolve({ status: 'refused', reason })
      }
      if (opened.contentType === ContentType.notice) {
        // notices are written by this node only; one from the wire would be a forgery
        stats.refused++
        return Promise.resolve({ status: 'refused', reason: 'content type 0 is local only' })
      }
      const id = Buffer.from(opened.messageId).toString('hex')
      if (init.store.hasSeen(id)) {
        stats.duplicates++
        return Promise.resolve({ status: 'duplicate' })
      }
      let text: string | undefined
      if (opened.contentType === ContentType.text) {
        try {
          text = utf8.decode(opened.body)
        } catch {
          stats.refused++
          return Promise.resolve({ status: 'refused', reason: 'text is not UTF-8' })
        }
      }
      const message: IncomingMessage = {
        id,
        from: opened.sender,
        to: init.identity.peerId,
        contentType: opened.contentType,
        body: opened.body,
        ...(text !== undefined ? { text } : {}),
        createdAt: opened.createdAt,
        receivedAt: t
      }
      return new Promise<InboundOutcome>((resolve) => {
        queue.push({ message, resolve })
        if (!scheduled) {
          scheduled = true
          setImmediate(flush)
        }
      })
    }
  }
}

/** Shared helpers of the store tests: temporary homes, PeerIds and message factories. */
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ContentType, STORE_FILE } from '../../src/constants.ts'
import { peerIdFromPublicKey } from '../../src/identity/index.ts'
import type { IncomingMessage, OutgoingMessage } from '../../src/store/index.ts'

/** A PeerId made from a label (the 32 "key" bytes are a hash: a PeerId only needs the right shape). */
export function peer(label: string): string {
  return peerIdFromPublicKey(createHash('sha256').update(`peer:${label}`).digest())
}

export const ME = peer('me')
export const ALICE = peer('alice')
export const BOB = peer('bob')

let counter = 0

/** A fresh message id, as 32 hex characters. */
export function newId(): string {
  counter++
  return createHash('sha256')
    .update(`id:${process.pid}:${Date.now()}:${counter}:${Math.random()}`)
    .digest('hex')
    .slice(0, 32)
}

export function incoming(fields: Partial<IncomingMessage> = {}): IncomingMessage {
  const text = fields.text ?? 'hello'
  return {
    id: newId(),
    from: ALICE,
    to: ME,
    contentType: ContentType.text,
    body: new TextEncoder().encode(text),
    text,
    createdAt: 1_000,
    receivedAt: 2_000,
    ...fields
  }
}

/** The envelope bytes the tests store for a message id (so a test can tell they came back unchanged). */
export function envelopeFor(id: string): Uint8Array {
  return new Uint8Array(createHash('sha512').update(`envelope:${id}`).digest())
}

export function outgoing(fields: Partial<OutgoingMessage> = {}): OutgoingMessage {
  const id = typeof fields.id === 'string' ? fields.id : newId()
  const text = fields.text ?? 'hi there'
  return {
    id,
    from: ME,
    to: BOB,
    contentType: ContentType.text,
    body: new TextEncoder().encode(text),
    text,
    createdAt: 1_000,
    envelope: envelopeFor(id),
    ...fields
  }
}

/** A temporary home folder; `cleanup()` removes it. */
export function tempHome(): { dir: string; dbPath: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-store-'))
  return { dir, dbPath: join(dir, STORE_FILE), cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

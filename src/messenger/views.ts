import type { VerificationResult } from '../registry/index.ts'
import type { Message } from '../store/index.ts'

/** A message as the API, the CLI and events show it. Times are ISO 8601 strings. */
export interface MessageView {
  id: string
  from: string
  to: string
  text: string | null
  contentType: number
  direction: 'in' | 'out'
  /** `queued`, `sent` or `failed` for outgoing; `received` for incoming. */
  status: string
  error?: string
  createdAt: string
  receivedAt: string | null
  /** The business verification of the sender (`from`), where a name is shown. */
  verification?: VerificationResult
}

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

export function messageView(m: Message, verification?: VerificationResult): MessageView {
  return {
    id: m.id,
    from: m.from,
    to: m.to,
    text: m.text,
    contentType: m.contentType,
    direction: m.direction,
    status: m.status,
    ...(m.error !== null ? { error: m.error } : {}),
    createdAt: new Date(m.createdAt).toISOString(),
    receivedAt: iso(m.receivedAt),
    ...(verification !== undefined ? { verification } : {})
  }
}

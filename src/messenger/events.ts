import type { VerificationResult } from '../registry/index.ts'
import type { PeerDisplay } from './verification.ts'
import type { MessageView } from './views.ts'

/** Events a messenger emits (also what the API's event stream carries). */
export interface MessengerEvents {
  /** A new message was committed to the inbox (never for a duplicate). */
  'message-received': CustomEvent<{ message: MessageView; display: PeerDisplay }>
  /** An outgoing message changed state: queued, sent (acked by the recipient) or failed. */
  'message-status': CustomEvent<{ id: string; to: string; status: 'queued' | 'sent' | 'failed'; error?: string }>
  /** Our profile was (re)published. */
  'profile-published': CustomEvent<{ seq: number; acks: number }>
  /** Trust changed: a registry added or removed, a root or status list updated. */
  'trust-changed': CustomEvent<{ registryId: string; reason: string }>
  /** A peer's verification changed (a new bundle, a revocation, a stale list). */
  'verification-changed': CustomEvent<{ peerId: string; verification: VerificationResult }>
}

export type MessengerEventName = keyof MessengerEvents

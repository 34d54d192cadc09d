import type { MessageView } from './views.ts'

/** Events a messenger emits (also what the API's event stream carries). */
export interface MessengerEvents {
  /** A new message was committed to the inbox (never for a duplicate). */
  'message-received': CustomEvent<{ message: MessageView }>
  /** An outgoing message changed state: queued, sent (acked by the recipient) or failed. */
  'message-status': CustomEvent<{ id: string; to: string; status: 'queued' | 'sent' | 'failed'; error?: string }>
  /** Our profile was (re)published. */
  'profile-published': CustomEvent<{ seq: number; acks: number }>
}

export type MessengerEventName = keyof MessengerEvents

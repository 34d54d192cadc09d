import { bytes, defineSchema, field, oneOf, optional, text, uint } from '../codec/index.ts'
import { MAX_ENVELOPE_BYTES, MAX_MSG_FRAME_BYTES } from '../constants.ts'

/** Sender → receiver on /parley/msg/1.0.0: one envelope, numbered so its ack can be matched. */
export const MessageFrame = defineSchema({
  name: 'msg-frame',
  version: 1,
  maxBytes: MAX_MSG_FRAME_BYTES,
  fields: {
    seq: field(1, uint()),
    envelope: field(2, bytes({ min: 1, max: MAX_ENVELOPE_BYTES }))
  }
})

export const ACK_STATUSES = ['ok', 'duplicate', 'refused', 'rate-limited', 'unavailable'] as const
export type AckStatus = (typeof ACK_STATUSES)[number]

/**
 * Receiver → sender: the outcome of one frame, sent only after the message is committed.
 * - ok / duplicate: stored (now or before); the sender is done with it.
 * - refused: it can never be accepted (bad signature, not for us…); `reason` says why.
 * - rate-limited: try again after `retryAfterMs`; nothing was changed.
 * - unavailable: the receiver could not commit it now (shutting down, disk); try again later.
 */
export const AckFrame = defineSchema({
  name: 'ack-frame',
  version: 1,
  maxBytes: 512,
  fields: {
    seq: field(1, uint()),
    status: field(2, oneOf(ACK_STATUSES)),
    reason: optional(3, text(200)),
    retryAfterMs: optional(4, uint(3_600_000))
  }
})
export type AckFrame = ReturnType<typeof AckFrame.decode>

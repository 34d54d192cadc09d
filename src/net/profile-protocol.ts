import type { Libp2p } from '@libp2p/interface'
import { bytes, defineSchema, optional } from '../codec/index.ts'
import { PROFILE_PROTOCOL } from '../constants.ts'
import { MAX_PROFILE_RECORD_BYTES } from '../directory/index.ts'
import { fetchOneFrame, serveOneFrame } from './one-frame.ts'

/** The answer on /parley/profile/1.0.0: the profile record this node last published, or none yet. */
export const ProfileReply = defineSchema({
  name: 'profile-reply',
  version: 1,
  maxBytes: MAX_PROFILE_RECORD_BYTES + 64,
  fields: { record: optional(1, bytes({ max: MAX_PROFILE_RECORD_BYTES })) }
})

/**
 * Serve /parley/profile/1.0.0: whoever opens a stream gets one frame with the signed profile record
 * this node last published. A node is the one authority on its newest profile, so a sender that
 * reached it needs no DHT quorum to know the record is current.
 */
export function serveProfile(node: Libp2p, current: () => Uint8Array | undefined): Promise<() => Promise<void>> {
  return serveOneFrame(node, PROFILE_PROTOCOL, () => {
    const record = current()
    return ProfileReply.encode(record === undefined ? {} : { record })
  })
}

/**
 * Ask a peer for the profile record it last published (dialling it if need be). Resolves undefined
 * if it has none; throws if it cannot be asked or answers garbage. The caller verifies the record.
 */
export async function fetchProfile(node: Libp2p, peerId: string, signal: AbortSignal): Promise<Uint8Array | undefined> {
  const reply = await fetchOneFrame(node, peerId, PROFILE_PROTOCOL, {
    maxBytes: MAX_PROFILE_RECORD_BYTES + 64,
    decode: (b) => ProfileReply.decode(b),
    what: 'profile reply',
    signal
  })
  return reply?.record
}

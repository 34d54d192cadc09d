import { PROFILE_PROTOCOL } from '../constants.ts'
import { MAX_PROFILE_RECORD_BYTES } from '../directory/index.ts'
import { oneFrameProtocol } from './one-frame.ts'

/**
 * /parley/profile/1.0.0: whoever opens a stream gets one frame with the signed profile record the
 * node last published (none before its first publish). A node is the one authority on its newest
 * profile, so a sender that reached it needs no DHT quorum to know the record is current. The
 * asker verifies the record.
 */
const profile = oneFrameProtocol({
  protocol: PROFILE_PROTOCOL,
  name: 'profile-reply',
  maxValueBytes: MAX_PROFILE_RECORD_BYTES
})

/** Serve /parley/profile/1.0.0 with the record `current()` returns. */
export const serveProfile = profile.serve
/** Ask a peer for the profile record it last published: undefined if it has none. */
export const fetchProfile = profile.fetch

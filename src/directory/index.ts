/** Signed profile records in the DHT: format, validation, selection, publishing and lookup. */

export type {
  AskPeer,
  DhtEvent,
  DhtLike,
  Directory,
  DirectoryInit,
  LookupStats,
  ProfileCache,
  PublishResult,
  ResolveOptions
} from './directory.ts'
export { createDirectory } from './directory.ts'
export type { ProfileContent, VerifiedProfile } from './record.ts'
export {
  createProfileRecord,
  DEFAULT_PROFILE_TTL_MS,
  MAX_PROFILE_RECORD_BYTES,
  MAX_PROFILE_TTL_MS,
  ProfileRecord,
  peekProfileOrder,
  SignedProfile,
  verifyProfileRecord
} from './record.ts'
export type { RecordKind, RecordRules } from './validator.ts'
export { createRecordRules, parseRecordKey, profileKey, profileKind, recordKey } from './validator.ts'

/**
 * Verified businesses: registry roots (TUF-style rotation), attestations, status lists, the
 * RFC 6962 log hashing, the name policy (UTS #39 skeletons) and the verification algorithm. Pure.
 */
export type { IssueInit } from './attestation.ts'
export { decodeAttestationBundle, issueAttestation, tryDecodeAttestationBundle } from './attestation.ts'
export type { Attestation, Role, RootMetadata, StatusList } from './formats.ts'
export {
  Attestation as AttestationSchema,
  AttestationBundle,
  REGISTRY_ID_PATTERN,
  RootChain,
  RootMetadata as RootMetadataSchema,
  SignedRoot,
  SignedStatus,
  StatusList as StatusListSchema,
  StatusRecord
} from './formats.ts'
export { inclusionProof, leafHash, nodeHash, treeHead, verifyInclusion } from './merkle.ts'
export {
  businessNameProblem,
  confusable,
  isHighlyRestrictive,
  nameSkeleton,
  nameSkeletons,
  sanitizeDisplayName,
  scriptsOf
} from './names.ts'
export type { RegistryKeyPair, VerifiedChain } from './root.ts'
export {
  chainExtends,
  countRoleSignatures,
  encodeRootChain,
  registryIdOf,
  registryKeyId,
  registryKeyPair,
  rootKeys,
  signRoot,
  verifyRootChain
} from './root.ts'
export { createStatusRecord, isRevoked, signStatusList, verifyStatusList, verifyStatusRecord } from './status.ts'
export type { Trust, TrustedRegistry } from './trust.ts'
export { createTrust, MAX_TRUSTED_REGISTRIES, statusRecordKind, TrustFile } from './trust.ts'
export type { TrustView, VerificationResult, VerificationStatus, VerifyInit } from './verify.ts'
export { verdictExpiry, verifyAttestation } from './verify.ts'

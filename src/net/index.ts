/** The libp2p node and Parley's protocols on it. */

export { fetchAttestation, serveAttestation } from './attest-protocol.ts'
export type { AckFrame, AckStatus } from './frames.ts'
export { ACK_STATUSES, MessageFrame } from './frames.ts'
export type { NodeLimits } from './limits.ts'
export { SERVER_LIMITS, USER_LIMITS } from './limits.ts'
export type {
  EnvelopeHandler,
  InboundOutcome,
  MessageClient,
  MessageClientInit,
  MessageServer,
  MessageServerInit
} from './msg-protocol.ts'
export { createMessageClient, serveMessages } from './msg-protocol.ts'
export { distanceFraction, estimateNetworkSize, kadId, networkSizeOf } from './network-size.ts'
export type { DhtSettings, DhtTuning, ParleyLibp2p, ParleyNodeInit, ParleyServices } from './node.ts'
export { createParleyNode, dhtSettings, libp2pPrivateKey, noopLogger, routingTableSize } from './node.ts'
export { noiseCrypto } from './noise-crypto.ts'
export { fetchProfile, serveProfile } from './profile-protocol.ts'
export type { RateLimiter, RateLimiterInit } from './rate-limit.ts'
export { createRateLimiter } from './rate-limit.ts'
export type { GuardedDatastoreInit } from './record-guard.ts'
export { GuardedDatastore } from './record-guard.ts'
export type { ConnectionTrimInit } from './trim.ts'
export { startConnectionTrim } from './trim.ts'

/**
 * Resource limits, set on purpose (notes/reliability.md part c). Two profiles: a user's node and
 * an always-on (business, mailbox) node. Memory bound ≈ maxConnections × (muxer buffer +
 * (inbound + outbound streams) × per-stream buffer).
 */
export interface NodeLimits {
  maxConnections: number
  maxIncomingPendingConnections: number
  inboundConnectionThreshold: number
  maxParallelDials: number
  maxDialQueueLength: number
  maxPeerAddrsToDial: number
  dialTimeout: number
  inboundUpgradeTimeout: number
  protocolNegotiationTimeout: number
  /** yamux streams per connection. */
  muxerMaxInboundStreams: number
  muxerMaxOutboundStreams: number
  /** Per stream: unread bytes before reset, unsent bytes before reset. */
  streamMaxReadBuffer: number
  streamMaxWriteBuffer: number
  /** Our protocols close a stream idle this long (yamux does not enforce its own). */
  streamInactivityTimeout: number
  /** `/parley/msg/1.0.0` streams per connection. */
  msgMaxInboundStreams: number
  msgMaxOutboundStreams: number
  /** TCP sockets. */
  tcpMaxConnections: number
  tcpSocketInactivityTimeout: number
}

export const USER_LIMITS: NodeLimits = {
  maxConnections: 100,
  maxIncomingPendingConnections: 10,
  inboundConnectionThreshold: 5,
  maxParallelDials: 20,
  maxDialQueueLength: 100,
  maxPeerAddrsToDial: 10,
  dialTimeout: 10_000,
  inboundUpgradeTimeout: 5_000,
  protocolNegotiationTimeout: 5_000,
  muxerMaxInboundStreams: 128,
  muxerMaxOutboundStreams: 128,
  streamMaxReadBuffer: 256 * 1024,
  streamMaxWriteBuffer: 1024 * 1024,
  streamInactivityTimeout: 30_000,
  msgMaxInboundStreams: 4,
  msgMaxOutboundStreams: 4,
  tcpMaxConnections: 100,
  tcpSocketInactivityTimeout: 30_000
}

export const SERVER_LIMITS: NodeLimits = {
  ...USER_LIMITS,
  maxConnections: 500,
  maxIncomingPendingConnections: 32,
  maxParallelDials: 100,
  maxDialQueueLength: 500,
  muxerMaxInboundStreams: 512,
  muxerMaxOutboundStreams: 512,
  streamMaxReadBuffer: 1024 * 1024,
  streamMaxWriteBuffer: 4 * 1024 * 1024,
  msgMaxInboundStreams: 16,
  msgMaxOutboundStreams: 16,
  tcpMaxConnections: 1000
}

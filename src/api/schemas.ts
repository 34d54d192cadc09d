/** JSON schemas of the HTTP API: fastify validates requests with them and builds the OpenAPI document from them. */

export const peerIdSchema = {
  type: 'string',
  minLength: 40,
  maxLength: 64,
  pattern: '^12D3KooW[1-9A-HJ-NP-Za-km-z]+$',
  description: 'An Ed25519 PeerId'
} as const

export const messageIdSchema = { type: 'string', pattern: '^[0-9a-fA-F]{32}$' } as const

export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'Stable error name, e.g. InvalidPeerIdError' },
    message: { type: 'string' }
  }
} as const

export const verificationResultSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: {
      type: 'string',
      enum: ['verified', 'unverified', 'invalid', 'expired', 'revoked', 'stale', 'untrusted-registry']
    },
    name: { type: 'string' },
    registryId: { type: 'string' },
    expiresAt: { type: 'string', format: 'date-time' },
    reason: { type: 'string' }
  }
} as const

export const displaySchema = {
  type: 'object',
  properties: {
    name: { type: ['string', 'null'] },
    badge: { type: 'boolean' },
    verifiedAs: { type: 'string' },
    impersonationOf: { type: 'string' },
    source: { type: 'string' }
  }
} as const

export const verificationSchema = verificationResultSchema

export const messageSchema = {
  type: 'object',
  required: ['id', 'from', 'to', 'direction', 'status', 'createdAt'],
  properties: {
    id: messageIdSchema,
    from: { type: 'string' },
    to: { type: 'string' },
    text: { type: ['string', 'null'] },
    contentType: { type: 'integer' },
    direction: { type: 'string', enum: ['in', 'out'] },
    status: { type: 'string', enum: ['queued', 'sent', 'failed', 'received'] },
    error: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    receivedAt: { type: ['string', 'null'], format: 'date-time' },
    verification: verificationSchema
  }
} as const

export const contactSchema = {
  type: 'object',
  required: ['name', 'peerId', 'createdAt'],
  properties: {
    name: { type: 'string' },
    peerId: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' }
  }
} as const

export const conversationSchema = {
  type: 'object',
  properties: {
    peer: { type: 'string' },
    contactName: { type: ['string', 'null'] },
    lastMessageId: { type: 'string' },
    lastMessageAt: { type: 'string', format: 'date-time' },
    lastDirection: { type: 'string', enum: ['in', 'out'] },
    lastText: { type: ['string', 'null'] },
    count: { type: 'integer' },
    unread: { type: 'integer' },
    display: displaySchema,
    verification: verificationResultSchema
  }
} as const

export const profileSchema = {
  type: 'object',
  properties: {
    peerId: { type: 'string' },
    name: { type: ['string', 'null'] },
    seq: { type: 'integer' },
    issuedAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    addresses: { type: 'array', items: { type: 'string' } },
    encryptionKey: {
      type: 'object',
      properties: { id: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' } }
    },
    mailboxes: { type: 'array', items: { type: 'string' } },
    verification: verificationResultSchema,
    display: displaySchema
  }
} as const

export const idSchema = {
  type: 'object',
  properties: {
    peerId: { type: 'string' },
    name: { type: ['string', 'null'] },
    addresses: { type: 'array', items: { type: 'string' } },
    encryptionKey: {
      type: 'object',
      properties: { id: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' } }
    }
  }
} as const

export const errorResponses = {
  400: errorSchema,
  401: errorSchema,
  404: errorSchema,
  409: errorSchema,
  413: errorSchema,
  429: errorSchema
} as const

import swagger from '@fastify/swagger'
import { logger } from '@libp2p/logger'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { timingSafeEqualBytes } from '../crypto/index.ts'
import type { VerifiedProfile } from '../directory/index.ts'
import {
  AttestationError,
  ChannelClosedError,
  ConfigError,
  ContactNameTakenError,
  ContactPeerTakenError,
  InvalidPeerIdError,
  OversizedError,
  ParleyError,
  PeerNotFoundError,
  PeerUnreachableError,
  RootChainError,
  StatusListError,
  UnknownContactError,
  UsageError
} from '../errors.ts'
import { isPeerId } from '../identity/index.ts'
import type { Messenger, MessengerEventName } from '../messenger/index.ts'
import { iso } from '../messenger/index.ts'
import type { Contact, Conversation } from '../store/index.ts'
import {
  contactSchema,
  conversationSchema,
  errorResponses,
  idSchema,
  messageIdSchema,
  messageSchema,
  peerIdSchema,
  profileSchema
} from './schemas.ts'
import { registerTrustRoutes } from './trust-routes.ts'

const log = logger('parley:api')

/** Largest request body accepted (notes/reliability.md T7.2). */
export const MAX_API_BODY_BYTES = 256 * 1024
/** SSE keep-alive comment interval. */
const SSE_HEARTBEAT_MS = 15_000
/** Events streamed concurrently, so a leak of clients cannot pile up listeners. */
const MAX_EVENT_STREAMS = 64

export interface ApiServerInit {
  messenger: Messenger
  /** The bearer token (`<home>/api-token`). */
  token: string
  /** @default '127.0.0.1' */
  host?: string
  /** @default 7447; 0 picks a free port */
  port?: number
  /** Try the next ports when the port is taken. @default 20 */
  portAttempts?: number
  /** Extra routes (later issues: registry, business, verification). */
  plugins?: Array<(app: FastifyInstance) => void | Promise<void>>
}

export interface ApiServer {
  readonly url: string
  readonly app: FastifyInstance
  close(): Promise<void>
}

/** Map a Parley error to an HTTP status: bad input is 4xx, never 5xx. */
export function statusOf(err: unknown): number {
  if (err instanceof RootChainError || err instanceof StatusListError || err instanceof AttestationError) {
    return ['conflict', 'rollback', 'older'].includes(err.detail ?? '') ? 409 : err.detail === 'untrusted' ? 404 : 400
  }
  if (err instanceof InvalidPeerIdError || err instanceof UsageError || err instanceof ConfigError) return 400
  if (err instanceof PeerNotFoundError || err instanceof UnknownContactError) return 404
  if (err instanceof OversizedError) return 413
  if (err instanceof ContactNameTakenError || err instanceof ContactPeerTakenError) return 409
  if (err instanceof PeerUnreachableError || err instanceof ChannelClosedError) return 503
  if (err instanceof ParleyError) {
    if (/Exists|Duplicate|Conflict/.test(err.name)) return 409
    if (/Input|Invalid|Decode|Malformed/.test(err.name)) return 400
    return 422
  }
  return 500
}

function profileView(p: VerifiedProfile): Record<string, unknown> {
  return {
    peerId: p.peerId,
    name: p.name ?? null,
    seq: p.seq,
    issuedAt: iso(p.issuedAt),
    expiresAt: iso(p.expiresAt),
    addresses: p.addresses,
    encryptionKey: { id: Buffer.from(p.encryptionKey.id).toString('hex'), createdAt: iso(p.encryptionKey.createdAt) },
    mailboxes: p.mailboxes
  }
}

function contactView(c: Contact): Record<string, unknown> {
  return { name: c.name, peerId: c.peerId, createdAt: iso(c.createdAt) }
}

function conversationView(c: Conversation): Record<string, unknown> {
  return { ...c, lastMessageAt: iso(c.lastMessageAt) }
}

/**
 * Query strings and path parameters are text: turn the exact text form of a number or boolean
 * into one where the route's schema asks for it, before validation. Anything else is left as
 * it is (a repeated key, `1e3`, `yes`) for the schema to refuse.
 */
function coerceTextParts(req: FastifyRequest): void {
  const schema = req.routeOptions.schema as Record<string, unknown> | undefined
  for (const [part, values] of [
    ['querystring', req.query],
    ['params', req.params]
  ] as const) {
    const properties = (schema?.[part] as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties
    if (properties === undefined || values === null || typeof values !== 'object') continue
    const record = values as Record<string, unknown>
    for (const [key, property] of Object.entries(properties)) {
      const value = record[key]
      if (typeof value !== 'string') continue
      if ((property.type === 'integer' || property.type === 'number') && /^-?\d{1,16}$/.test(value)) {
        record[key] = Number(value)
      } else if (property.type === 'boolean' && (value === 'true' || value === 'false')) {
        record[key] = value === 'true'
      }
    }
  }
}

/** A PeerId, or the PeerId of a saved contact with that name. */
export function resolvePeerArgument(messenger: Messenger, value: string): string {
  if (value.trim() === '') throw new UsageError('a peer is a PeerId or a contact name, not empty')
  if (isPeerId(value as unknown)) return value
  const contact = messenger.store.contactByName(value)
  if (contact === undefined) {
    if (/^12D3KooW/.test(value) || value.length > 64)
      throw new InvalidPeerIdError(`not a valid PeerId: ${value.slice(0, 64)}`)
    throw new UnknownContactError(`no contact named ${JSON.stringify(value)}`)
  }
  return contact.peerId
}

/** The node's HTTP API on loopback: bearer-token auth, JSON schemas, OpenAPI, server-sent events. */
export async function createApiServer(init: ApiServerInit): Promise<ApiServer> {
  const { messenger } = init
  const token = Buffer.from(init.token, 'utf8')
  const app = Fastify({
    bodyLimit: MAX_API_BODY_BYTES,
    logger: false,
    // event streams never end by themselves; closing the server must not wait for them
    forceCloseConnections: true,
    // no type coercion: a JSON body is validated as sent (`{"text": 5}` is a 400, not the text "5");
    // query strings and path parameters get theirs from coerceTextParts below
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } }
  })
  app.addHook('preValidation', async (req) => coerceTextParts(req))

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Parley node API',
        version: '1.0.0',
        description: 'The HTTP API of a Parley node (loopback only).'
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }]
    }
  })

  app.setErrorHandler((err: FastifyError | Error, _req, reply) => {
    const fe = err as FastifyError
    if (fe.validation !== undefined) {
      return reply.code(400).send({ error: 'ValidationError', message: err.message })
    }
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.code(fe.statusCode).send({ error: fe.code ?? 'BadRequest', message: err.message })
    }
    const status = statusOf(err)
    if (status >= 500) log.error('request failed: %s', err.stack ?? err.message)
    return reply
      .code(status)
      .send({ error: err instanceof ParleyError ? err.name : 'InternalError', message: err.message })
  })
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: 'NotFound', message: `no route ${req.method} ${req.url.split('?')[0]}` })
  })

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization
    const presented =
      typeof header === 'string' && header.startsWith('Bearer ') ? Buffer.from(header.slice(7), 'utf8') : undefined
    if (presented === undefined || !timingSafeEqualBytes(presented, token)) {
      return reply.code(401).send({ error: 'Unauthorized', message: 'missing or wrong bearer token' })
    }
  })

  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  app.get('/v1/id', { schema: { summary: 'This node', response: { 200: idSchema } } }, async () => {
    const key = messenger.identity.currentEncryptionKey()
    return {
      peerId: messenger.peerId,
      name: messenger.directory.own?.name ?? null,
      addresses: messenger.addresses(),
      encryptionKey: { id: Buffer.from(key.id).toString('hex'), createdAt: iso(key.createdAt) }
    }
  })

  app.post<{ Body: { to: string; text: string } }>(
    '/v1/messages',
    {
      schema: {
        summary: 'Send a text message (committed before any delivery attempt)',
        body: {
          type: 'object',
          required: ['to', 'text'],
          additionalProperties: false,
          properties: {
            to: { type: 'string', minLength: 1, maxLength: 128, description: 'PeerId or contact name' },
            text: { type: 'string', minLength: 1, maxLength: 60_000 }
          }
        },
        response: {
          202: {
            type: 'object',
            properties: { id: messageIdSchema, status: { type: 'string' }, to: { type: 'string' } }
          },
          ...errorResponses
        }
      }
    },
    async (req, reply) => {
      const to = resolvePeerArgument(messenger, req.body.to)
      const result = await messenger.sendText(to, req.body.text)
      return reply.code(202).send({ ...result, to })
    }
  )

  app.get<{ Querystring: { peer?: string; limit?: number; before?: string } }>(
    '/v1/messages',
    {
      schema: {
        summary: 'Sent and received messages, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            peer: { type: 'string', maxLength: 128, description: 'PeerId or contact name' },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
            before: { type: 'string', maxLength: 64, description: 'a message id, or a time (ms or ISO 8601)' }
          }
        },
        response: {
          200: { type: 'object', properties: { messages: { type: 'array', items: messageSchema } } },
          ...errorResponses
        }
      }
    },
    async (req) => {
      const { peer, limit, before } = req.query
      let cursor: number | string | undefined
      if (before !== undefined) {
        if (/^[0-9a-fA-F]{32}$/.test(before)) cursor = before
        else if (/^\d+$/.test(before)) cursor = Number(before)
        else if (!Number.isNaN(Date.parse(before))) cursor = Date.parse(before)
        else throw new UsageError('before is a message id, a time in ms or an ISO 8601 time')
      }
      const messages = messenger.messages({
        ...(peer !== undefined ? { peer: resolvePeerArgument(messenger, peer) } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(cursor !== undefined ? { before: cursor } : {})
      })
      return { messages }
    }
  )

  app.get<{ Params: { id: string } }>(
    '/v1/messages/:id',
    {
      schema: {
        summary: 'One message',
        params: { type: 'object', properties: { id: messageIdSchema } },
        response: { 200: messageSchema, ...errorResponses }
      }
    },
    async (req, reply) => {
      const m = messenger.message(req.params.id)
      if (m === undefined) return reply.code(404).send({ error: 'NotFound', message: 'no such message' })
      return m
    }
  )

  app.get(
    '/v1/conversations',
    {
      schema: {
        summary: 'One entry per peer, most recent first',
        response: {
          200: { type: 'object', properties: { conversations: { type: 'array', items: conversationSchema } } }
        }
      }
    },
    async () => ({
      conversations: messenger.conversations().map((c) => ({
        ...conversationView(c),
        display: messenger.display(c.peer),
        verification: messenger.verifier.verify(c.peer)
      }))
    })
  )

  app.get(
    '/v1/contacts',
    {
      schema: {
        summary: 'Saved contacts',
        response: { 200: { type: 'object', properties: { contacts: { type: 'array', items: contactSchema } } } }
      }
    },
    async () => ({ contacts: messenger.contacts().map(contactView) })
  )

  app.post<{ Body: { name: string; peerId: string } }>(
    '/v1/contacts',
    {
      schema: {
        summary: 'Save a contact',
        body: {
          type: 'object',
          required: ['name', 'peerId'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 64 },
            peerId: { type: 'string', maxLength: 128 }
          }
        },
        response: { 201: contactSchema, ...errorResponses }
      }
    },
    async (req, reply) => {
      if (!isPeerId(req.body.peerId as unknown))
        throw new InvalidPeerIdError(`not a valid PeerId: ${req.body.peerId.slice(0, 64)}`)
      if (isPeerId(req.body.name)) throw new UsageError('a contact name cannot be a PeerId')
      return reply.code(201).send(contactView(messenger.addContact(req.body.name, req.body.peerId)))
    }
  )

  app.delete<{ Params: { name: string } }>(
    '/v1/contacts/:name',
    {
      schema: {
        summary: 'Remove a contact',
        params: { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 64 } } },
        response: { 200: { type: 'object', properties: { removed: { type: 'string' } } }, ...errorResponses }
      }
    },
    async (req, reply) => {
      if (!messenger.removeContact(req.params.name)) {
        return reply
          .code(404)
          .send({ error: 'UnknownContactError', message: `no contact named ${JSON.stringify(req.params.name)}` })
      }
      return { removed: req.params.name }
    }
  )

  app.get(
    '/v1/peers',
    {
      schema: {
        summary: 'Peers this node is connected to',
        response: {
          200: {
            type: 'object',
            properties: {
              peers: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { peerId: { type: 'string' }, addresses: { type: 'array', items: { type: 'string' } } }
                }
              }
            }
          }
        }
      }
    },
    async () => {
      const byPeer = new Map<string, string[]>()
      for (const c of messenger.node.getConnections()) {
        const id = c.remotePeer.toString()
        const list = byPeer.get(id) ?? []
        list.push(c.remoteAddr.toString())
        byPeer.set(id, list)
      }
      return { peers: [...byPeer].map(([peerId, addresses]) => ({ peerId, addresses })) }
    }
  )

  app.get<{ Params: { peerId: string }; Querystring: { fresh?: boolean } }>(
    '/v1/peers/:peerId',
    {
      schema: {
        summary: "A peer's profile from the directory",
        params: { type: 'object', properties: { peerId: { type: 'string', maxLength: 128 } } },
        querystring: { type: 'object', additionalProperties: false, properties: { fresh: { type: 'boolean' } } },
        response: { 200: profileSchema, ...errorResponses }
      }
    },
    async (req, reply) => {
      const peerId = resolvePeerArgument(messenger, req.params.peerId)
      const profile = await messenger.resolve(peerId, { fresh: req.query.fresh === true })
      if (profile === undefined) {
        return reply.code(404).send({ error: 'PeerNotFoundError', message: `no profile found for ${peerId}` })
      }
      return {
        ...profileView(profile),
        verification: messenger.verifier.verify(peerId),
        display: messenger.display(peerId)
      }
    }
  )

  app.post(
    '/v1/keys/rotate',
    {
      schema: {
        summary: 'Make a new encryption key and republish the profile',
        response: { 200: { type: 'object', additionalProperties: true } }
      }
    },
    async () => {
      const fresh = await messenger.rotateEncryptionKey()
      return { encryptionKey: { id: Buffer.from(fresh.id).toString('hex'), createdAt: iso(fresh.createdAt) } }
    }
  )

  let streams = 0
  app.get(
    '/v1/events',
    { schema: { summary: 'Server-sent events: message-received, message-status, profile-published' } },
    async (req, reply) => {
      if (streams >= MAX_EVENT_STREAMS) {
        return reply.code(429).send({ error: 'TooManyStreams', message: 'too many event streams open' })
      }
      streams++
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no'
      })
      res.write(': parley events\n\n')
      let n = 0
      const names: MessengerEventName[] = ['message-received', 'message-status', 'profile-published']
      const listeners = names.map((name) => {
        const listener = (evt: CustomEvent): void => {
          res.write(`id: ${++n}\nevent: ${name}\ndata: ${JSON.stringify(evt.detail)}\n\n`)
        }
        messenger.addEventListener(name, listener as EventListener)
        return { name, listener }
      })
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS)
      const done = (): void => {
        clearInterval(heartbeat)
        for (const { name, listener } of listeners) messenger.removeEventListener(name, listener as EventListener)
        streams--
      }
      req.raw.once('close', done)
    }
  )

  app.decorate('resolvePeer', (value: string) => resolvePeerArgument(messenger, value))
  registerTrustRoutes(app, messenger)
  for (const plugin of init.plugins ?? []) await plugin(app)

  const host = init.host ?? '127.0.0.1'
  const base = init.port ?? 7447
  const attempts = base === 0 ? 1 : (init.portAttempts ?? 20)
  let url: string | undefined
  let lastErr: unknown
  for (let i = 0; i < attempts && url === undefined; i++) {
    try {
      url = await app.listen({ host, port: base === 0 ? 0 : base + i })
    } catch (err) {
      lastErr = err
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') break
    }
  }
  if (url === undefined) throw new ConfigError(`cannot listen on ${host}:${base}: ${(lastErr as Error)?.message}`)
  return {
    url,
    app,
    close: () => app.close()
  }
}

export { peerIdSchema }

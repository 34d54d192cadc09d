import { TypedEventEmitter } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { ContentType, MAX_BODY_BYTES, MAX_ENCRYPTION_KEYS } from '../constants.ts'
import {
  createDirectory,
  createRecordRules,
  type Directory,
  type RecordKind,
  type RecordRules,
  type ResolveOptions,
  recordKey,
  type VerifiedProfile
} from '../directory/index.ts'
import { seal } from '../envelope/index.ts'
import { AttestationError, OversizedError, UsageError } from '../errors.ts'
import { type EncryptionKeyPair, type Identity, peerIdToBytes } from '../identity/index.ts'
import {
  type ConnectionTrimInit,
  createMessageClient,
  createParleyNode,
  type DhtTuning,
  fetchAttestation,
  GuardedDatastore,
  type MessageServer,
  type NodeLimits,
  networkSizeOf,
  type ParleyLibp2p,
  type ParleyNodeInit,
  serveAttestation,
  serveMessages,
  serveProfile
} from '../net/index.ts'
import {
  createTrust,
  decodeAttestationBundle,
  statusRecordKind,
  type Trust,
  type VerificationResult
} from '../registry/index.ts'
import type { Contact, Conversation, ListMessagesOptions, OutgoingMessage, Store } from '../store/index.ts'
import type { BackoffPolicy } from './backoff.ts'
import { askPeerFor, connectAhead, createDialer } from './dialer.ts'
import type { MessengerEvents } from './events.ts'
import { createInbox, type Inbox } from './inbox.ts'
import { createOutboxWorker, type OutboxWorker } from './outbox.ts'
import { createVerifier, type PeerDisplay, type Verifier } from './verification.ts'
import { type MessageView, messageView } from './views.ts'

const log = logger('parley:messenger')
const utf8 = new TextEncoder()

export interface MessengerInit {
  identity: Identity
  store: Store
  /** Display name published in the profile. */
  name?: string
  /** Listen multiaddrs. @default TCP and WS on all interfaces */
  listen?: string[]
  bootstrap?: string[]
  /** @default true */
  mdns?: boolean
  /** @default 'tcp' */
  transport?: 'tcp' | 'memory'
  memoryLatencyMs?: number
  /** The libp2p datastore (DHT records, peer store). @default a GuardedDatastore over memory */
  datastore?: GuardedDatastore
  /** Transports replacing the built-in ones (simulation). */
  transports?: ParleyNodeInit['transports']
  connectionGater?: ParleyNodeInit['connectionGater']
  limits?: NodeLimits
  /** Extra DHT record kinds (registries add theirs). */
  recordKinds?: Record<string, RecordKind>
  allow?: string[]
  /** Simulation settings on the libp2p node (no monitor pings, no-op logger). */
  lean?: boolean
  /** Kad-DHT settings (simulation: src/sim/node-preset.ts). @default kad-dht's */
  dht?: DhtTuning
  /** Close idle connections above a watermark. @default off */
  connectionTrim?: ConnectionTrimInit
  /**
   * How a profile lookup ends: `settleMs` after the first valid record, or at once when `quorum`
   * valid records came; a lookup for a first message, whose recipient is asked, ends at its first
   * record unless `endLookupWhenAsking` is false.
   * @default { settleMs: 250, quorum: 3, lookupTimeoutMs: 15_000, endLookupWhenAsking: true } (createDirectory's)
   */
  lookup?: { settleMs?: number; quorum?: number; lookupTimeoutMs?: number; endLookupWhenAsking?: boolean }
  /**
   * On a first message, dial the recipient at the addresses of the lookup's first record while the
   * lookup waits for fresher ones (the message is still sealed to the settled record's key).
   * Off only to measure what it saves. @default true
   */
  connectAhead?: boolean
  /**
   * On a first message (and when sealing one queued for a recipient not found before), ask the
   * recipient itself for its profile on /parley/profile/1.0.0: over an open connection at once,
   * else at the addresses of the lookup's first record (which connects ahead). Its own record is
   * its newest, so the message is sealed without waiting for the lookup to settle; if it does not
   * answer, the lookup decides as before. Off only to measure what it saves. @default true
   */
  askRecipient?: boolean
  /**
   * With askRecipient: when the peer store already holds the recipient's addresses (a DHT reply
   * named it), ask at once, beside the lookup, rather than at its first record. Off only to
   * measure what it saves. @default true
   */
  askKnownRecipientAtOnce?: boolean
  /**
   * Publish this node's profile when it starts (and keep it published). A simulation holds it back
   * while its network forms and starts it with `directory.start()` once every node has joined
   * (src/sim/forming.ts). @default true
   */
  publishOnStart?: boolean
  /** Profile lifetime. @default 24 h */
  profileTtlMs?: number
  backoff?: BackoffPolicy
  /** Inbound rate limit per peer. @default 20/s, burst 40 */
  rateLimit?: { perSecond: number; burst: number }
  /** How long `send` looks for a recipient's profile before queueing it unsealed. @default 5_000 */
  resolveTimeoutMs?: number
  /** Persist the identity after its keys change (rotation); the daemon saves the key file. */
  saveIdentity?: () => Promise<void>
  /** The registries this node trusts. @default none */
  trust?: Trust
  /** Persist trust after it changes (the daemon writes `<home>/trust.parley`). */
  saveTrust?: (trust: Trust) => void
  /** This node's attestation bundle, if it is a verified business. */
  attestation?: Uint8Array
  saveAttestation?: (bundle: Uint8Array) => void
  /** How often to look for newer status lists of trusted registries in the DHT. @default 10 minutes */
  statusRefreshMs?: number
  now?: () => number
}

export interface SendOptions {
  contentType?: number
  signal?: AbortSignal
}

export interface SendResult {
  id: string
  status: 'queued' | 'sent' | 'failed'
}

/** Messenger.resolve's options: the directory's, and whether to ask the peer itself. */
export interface MessengerResolveOptions extends Omit<ResolveOptions, 'askPeer'> {
  /** Ask the peer for its own profile as a first message does (beside the lookup, or after a miss). */
  askRecipient?: boolean
}

/** A Parley node: identity, store, libp2p, directory, inbox and outbox, composed. */
export interface Messenger extends TypedEventEmitter<MessengerEvents> {
  readonly peerId: string
  readonly identity: Identity
  readonly node: ParleyLibp2p
  readonly directory: Directory
  readonly store: Store
  readonly rules: RecordRules
  readonly inbox: Inbox
  readonly outbox: OutboxWorker
  /** Our listen addresses as full multiaddr strings (with /p2p/<id>). */
  addresses(): string[]
  start(): Promise<void>
  stop(): Promise<void>
  /**
   * Commit a text message (sealed now if the recipient's profile is known, else sealed later by the
   * outbox), then deliver it in the background.
   */
  sendText(to: string, text: string, options?: SendOptions): Promise<SendResult>
  /** Seal and commit any content. */
  send(to: string, body: Uint8Array, options?: SendOptions): Promise<SendResult>
  messages(options?: ListMessagesOptions): MessageView[]
  message(id: string): MessageView | undefined
  conversations(): Conversation[]
  contacts(): Contact[]
  addContact(name: string, peerId: string): Contact
  removeContact(name: string): boolean
  /**
   * A peer's profile: cached unless `fresh` (`onLookup` gets a DHT lookup's figures). With
   * `askRecipient`, the peer itself is asked as for a first message (ResolveOptions.askPeer).
   */
  resolve(peerId: string, options?: MessengerResolveOptions): Promise<VerifiedProfile | undefined>
  /** Publish our profile now (after a name change, a key rotation). */
  publishProfile(): Promise<{ seq: number; acks: number }>
  setName(name: string | undefined): void
  /** A new encryption key (old ones kept for the grace period), saved and republished. */
  rotateEncryptionKey(): Promise<EncryptionKeyPair>
  readonly trust: Trust
  readonly verifier: Verifier
  /** Trust a registry (root file bytes), or follow it to a newer root. */
  addTrustedRoot(chain: Uint8Array): { registryId: string; rootVersion: number; added: boolean; updated: boolean }
  removeTrustedRegistry(registryId: string): boolean
  /** Import a status record (file or DHT); with `publish`, also put it in the DHT for others. */
  importStatus(
    record: Uint8Array,
    options?: { publish?: boolean }
  ): Promise<{ registryId: string; seq: number; changed: boolean }>
  /** Look for newer status lists of every trusted registry in the DHT now. */
  refreshStatus(): Promise<void>
  /** Install this node's attestation (subject must be this node; a newer one replaces the held one). */
  setAttestation(bundle: Uint8Array): { serial: string; name: string; expiresAt: number; replaced: boolean }
  attestation(): Uint8Array | undefined
  /** A peer's verification; `refresh` asks the peer for its bundle first. */
  verifyPeer(peerId: string, options?: { refresh?: boolean }): Promise<VerificationResult>
  display(peerId: string): PeerDisplay
}

/** Build a messenger; call start() to go online. */
export async function createMessenger(init: MessengerInit): Promise<Messenger> {
  const { identity, store } = init
  const now = init.now ?? Date.now
  const rules = createRecordRules({ status: statusRecordKind, ...init.recordKinds })
  const datastore = init.datastore ?? new GuardedDatastore({ rules })
  let name = init.name
  let attestation = init.attestation
  const trust = init.trust ?? createTrust()
  const node = await createParleyNode({
    seed: identity.seed,
    ...(init.listen !== undefined ? { listen: init.listen } : {}),
    ...(init.bootstrap !== undefined ? { bootstrap: init.bootstrap } : {}),
    ...(init.mdns !== undefined ? { mdns: init.mdns } : {}),
    ...(init.transport !== undefined ? { transport: init.transport } : {}),
    ...(init.memoryLatencyMs !== undefined ? { memoryLatencyMs: init.memoryLatencyMs } : {}),
    ...(init.transports !== undefined ? { transports: init.transports } : {}),
    ...(init.connectionGater !== undefined ? { connectionGater: init.connectionGater } : {}),
    ...(init.limits !== undefined ? { limits: init.limits } : {}),
    ...(init.allow !== undefined ? { allow: init.allow } : {}),
    ...(init.lean !== undefined ? { lean: init.lean } : {}),
    ...(init.dht !== undefined ? { dht: init.dht } : {}),
    ...(init.connectionTrim !== undefined ? { connectionTrim: init.connectionTrim } : {}),
    rules,
    datastore,
    start: false
  })

  const addresses = (): string[] => {
    const self = node.peerId.toString()
    return node.getMultiaddrs().map((ma) => {
      const s = ma.toString()
      return s.includes('/p2p/') ? s : `${s}/p2p/${self}`
    })
  }

  const nextSeq = (): number => {
    const last = Number(store.getMeta('profile.seq') ?? '0')
    const seq = Math.max(last + 1, now())
    store.setMeta('profile.seq', String(seq))
    return seq
  }

  const directory = createDirectory({
    dht: node.services.dht,
    identity,
    content: () => ({
      addresses: node.getMultiaddrs().map((ma) => ma.toString()),
      ...(name !== undefined ? { name } : {}),
      ...(attestation !== undefined ? { attestation } : {})
    }),
    nextSeq,
    ...(init.profileTtlMs !== undefined ? { ttlMs: init.profileTtlMs } : {}),
    ...init.lookup,
    localRecord: (key) => datastore.getRecord(key),
    networkSize: () => networkSizeOf(node.services.dht),
    cache: {
      get: (peerId) => store.getPeerRecord(peerId)?.record,
      put: (peerId, record, seq, expiresAt) => {
        store.putPeerRecord({ peerId, record, seq, expiresAt, fetchedAt: now() })
      },
      delete: (peerId) => {
        store.deletePeerRecord(peerId)
      }
    },
    now
  })

  const events = new TypedEventEmitter<MessengerEvents>()
  const askAtOnce = init.askKnownRecipientAtOnce !== false
  const client = createMessageClient({ openStream: createDialer({ node, directory }) })
  const outbox = createOutboxWorker({
    store,
    client,
    async sealPending(entry) {
      const message = store.getMessage(entry.messageId)
      if (message === undefined) return undefined
      const profile = await directory.resolve(entry.recipient, {
        fresh: true,
        signal: AbortSignal.timeout(15_000),
        ...(init.askRecipient !== false ? { askPeer: await askPeerFor(node, entry.recipient, askAtOnce) } : {})
      })
      if (profile === undefined) return undefined
      return seal({
        sender: identity,
        recipient: entry.recipient,
        encryptionKey: profile.encryptionKey,
        body: message.body,
        contentType: message.contentType,
        createdAt: message.createdAt,
        messageId: Uint8Array.from(Buffer.from(message.id, 'hex'))
      }).bytes
    },
    ...(init.backoff !== undefined ? { backoff: init.backoff } : {}),
    now,
    onSent(ids, to) {
      for (const id of ids) events.safeDispatchEvent('message-status', { detail: { id, to, status: 'sent' } })
    },
    onFailed(list) {
      for (const f of list) {
        events.safeDispatchEvent('message-status', { detail: { id: f.id, to: f.to, status: 'failed', error: f.error } })
      }
    }
  })
  const verifier = createVerifier({
    store,
    trust: () => trust,
    selfPeerId: identity.peerId,
    ownBundle: () => attestation,
    fetch: (peerId, signal) => fetchAttestation(node, peerId, signal),
    profileName: (peerId) => directory.cached(peerId)?.name,
    now,
    onNameChange(peerId, from, to) {
      // a notice in the conversation, written by this node (content type 0 is refused from the wire)
      const text = `${from} is now verified as ${to}`
      const t = now()
      try {
        store.insertIncoming([
          {
            id: Buffer.from(identity.engine.randomBytes(16)).toString('hex'),
            from: peerId,
            to: identity.peerId,
            contentType: ContentType.notice,
            body: utf8.encode(text),
            text,
            createdAt: t,
            receivedAt: t
          }
        ])
      } catch (err) {
        log.error('could not write a name-change notice: %s', (err as Error).message)
      }
    }
  })

  const inbox = createInbox({
    identity,
    store,
    now,
    onCommitted(messages) {
      const watched = events.listenerCount('message-received') > 0
      for (const m of messages) {
        // learn the sender's badge (asks it at most once an hour), then tell whoever listens
        const refreshed = verifier.refresh(m.from, { timeoutMs: 2_000 }).catch(() => verifier.verify(m.from))
        if (!watched) continue
        void refreshed.then((verification) => {
          const view = messageView(
            {
              id: m.id as string,
              direction: 'in',
              peer: m.from,
              from: m.from,
              to: m.to,
              contentType: m.contentType,
              text: m.text ?? null,
              body: m.body,
              status: 'received',
              error: null,
              createdAt: m.createdAt,
              receivedAt: m.receivedAt,
              statusAt: m.receivedAt,
              readAt: null,
              meta: null
            },
            verification
          )
          events.safeDispatchEvent('message-received', { detail: { message: view, display: verifier.display(m.from) } })
        })
      }
    }
  })

  const trustChanged = (registryId: string, reason: string): void => {
    verifier.invalidate()
    init.saveTrust?.(trust)
    events.safeDispatchEvent('trust-changed', { detail: { registryId, reason } })
  }

  const fetchStatus = async (registryId: string): Promise<void> => {
    const key = recordKey('status', registryId)
    const values: Uint8Array[] = []
    const local = await datastore.getRecord(key).catch(() => undefined)
    if (local !== undefined) values.push(local)
    try {
      for await (const event of node.services.dht.get(key, { signal: AbortSignal.timeout(15_000) })) {
        const v =
          event.name === 'VALUE' ? event.value : event.name === 'PEER_RESPONSE' ? event.record?.value : undefined
        if (v !== undefined) values.push(v)
      }
    } catch {
      // not found, or the lookup timed out: keep what we hold
    }
    for (const v of values) {
      try {
        const r = trust.importStatus(v)
        if (r.changed) trustChanged(registryId, `status list ${r.seq}`)
      } catch {
        // older (rollback), conflicting or for an untrusted registry: ignore
      }
    }
  }

  let statusTimer: NodeJS.Timeout | undefined
  const scheduleStatus = (): void => {
    clearTimeout(statusTimer)
    statusTimer = setTimeout(
      () => {
        void Promise.allSettled(trust.list().map((r) => fetchStatus(r.registryId))).finally(() => {
          if (started) scheduleStatus()
        })
      },
      init.statusRefreshMs ?? 10 * 60_000
    )
    statusTimer.unref()
  }
  let stopAttest: (() => Promise<void>) | undefined
  let stopProfile: (() => Promise<void>) | undefined

  let server: MessageServer | undefined
  let started = false

  const onConnect = (evt: CustomEvent): void => {
    // a peer we owe messages just connected: try now, whatever the backoff says
    outbox.flushPeer(evt.detail.toString())
    directory.connected()
  }
  const onAddresses = (): void => {
    if (started) directory.changed()
  }

  // Group commit for sends, as for receipts: every message sealed in one turn of the event loop is
  // committed in one fully synced transaction, and each send returns only after that commit.
  let outgoing: Array<{ message: OutgoingMessage; resolve(): void; reject(err: Error): void }> = []
  const commitOutgoing = (message: OutgoingMessage): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      outgoing.push({ message, resolve, reject })
      if (outgoing.length > 1) return
      setImmediate(() => {
        const batch = outgoing
        outgoing = []
        try {
          store.enqueueOutgoing(batch.map((b) => b.message))
          for (const b of batch) b.resolve()
        } catch (err) {
          for (const b of batch) b.reject(err as Error)
        }
      })
    })

  const send = async (to: string, body: Uint8Array, options: SendOptions = {}): Promise<SendResult> => {
    peerIdToBytes(to)
    if (to === identity.peerId) throw new UsageError('cannot send a message to yourself')
    if (body.byteLength > MAX_BODY_BYTES) {
      throw new OversizedError(
        `message is ${body.byteLength} bytes, the cap is ${MAX_BODY_BYTES}`,
        String(MAX_BODY_BYTES)
      )
    }
    const contentType = options.contentType ?? ContentType.text
    const createdAt = now()
    const messageId = identity.engine.randomBytes(16)
    const id = Buffer.from(messageId).toString('hex')
    let profile: VerifiedProfile | undefined
    try {
      const signal = options.signal ?? AbortSignal.timeout(init.resolveTimeoutMs ?? 5_000)
      profile = await directory.resolve(to, {
        signal,
        // a first message: ask the recipient itself, reached at the lookup's first record; or at
        // least dial while the lookup waits for fresher records, not after it
        ...(init.askRecipient !== false
          ? { askPeer: await askPeerFor(node, to, askAtOnce) }
          : init.connectAhead !== false
            ? { onFirstRecord: (first: VerifiedProfile) => connectAhead(node, first, signal) }
            : {})
      })
    } catch {
      profile = undefined
    }
    // Not in the directory yet (never online, or an unreachable DHT): commit it unsealed; the
    // outbox seals it once the recipient's key can be found, and never re-seals after that.
    const envelope =
      profile === undefined
        ? new Uint8Array(0)
        : seal({
            sender: identity,
            recipient: to,
            encryptionKey: profile.encryptionKey,
            body,
            contentType,
            createdAt,
            messageId
          }).bytes
    const text = contentType === ContentType.text ? new TextDecoder().decode(body) : undefined
    await commitOutgoing({
      id,
      from: identity.peerId,
      to,
      contentType,
      body,
      ...(text !== undefined ? { text } : {}),
      createdAt,
      envelope
    })
    events.safeDispatchEvent('message-status', { detail: { id, to, status: 'queued' } })
    outbox.flushPeer(to)
    return { id, status: 'queued' }
  }

  const messenger = Object.assign(events, {
    peerId: identity.peerId,
    identity,
    node,
    directory,
    store,
    rules,
    inbox,
    outbox,
    addresses,
    async start() {
      if (started) return
      await node.start()
      server = await serveMessages(node, {
        onEnvelope: (envelope, from) => inbox.receive(envelope, from),
        ...(init.limits !== undefined ? { limits: init.limits } : {}),
        ...(init.rateLimit !== undefined ? { rateLimit: init.rateLimit } : {})
      })
      stopAttest = await serveAttestation(node, () => attestation)
      stopProfile = await serveProfile(node, () => directory.own?.bytes)
      node.addEventListener('peer:connect', onConnect)
      node.addEventListener('self:peer:update', onAddresses)
      started = true
      // a held-back profile is still signed: a peer that finds this node by peer routing can ask for it
      if (init.publishOnStart !== false) directory.start()
      else directory.sign()
      scheduleStatus()
      void Promise.allSettled(trust.list().map((r) => fetchStatus(r.registryId)))
      outbox.start()
      outbox.flushAll()
      log('started %s', identity.peerId)
    },
    async stop() {
      if (!started) return
      started = false
      node.removeEventListener('peer:connect', onConnect)
      node.removeEventListener('self:peer:update', onAddresses)
      directory.stop()
      clearTimeout(statusTimer)
      await stopAttest?.()
      await stopProfile?.()
      await outbox.stop()
      client.closeAll()
      await server?.stop()
      inbox.flush()
      await node.stop()
    },
    sendText(to: string, text: string, options?: SendOptions) {
      if (typeof text !== 'string' || !text.isWellFormed()) throw new UsageError('text must be well-formed Unicode')
      return send(to, utf8.encode(text), { ...options, contentType: ContentType.text })
    },
    send,
    messages: (options?: ListMessagesOptions) =>
      store.listMessages(options).map((m) => messageView(m, verifier.verify(m.from))),
    message(id: string) {
      const m = store.getMessage(id)
      return m === undefined ? undefined : messageView(m, verifier.verify(m.from))
    },
    conversations: () => store.conversations(),
    contacts: () => store.listContacts(),
    addContact: (contactName: string, peerId: string) => store.addContact(contactName, peerId, now()),
    removeContact: (contactName: string) => store.removeContact(contactName),
    async resolve(peerId: string, options: MessengerResolveOptions = {}) {
      peerIdToBytes(peerId)
      if (peerId === identity.peerId) return directory.own
      const { askRecipient, ...rest } = options
      const profile = await directory.resolve(
        peerId,
        askRecipient === true ? { ...rest, askPeer: await askPeerFor(node, peerId, askAtOnce) } : rest
      )
      if (profile !== undefined) verifier.learn(peerId, profile.attestation, 'profile')
      return profile
    },
    async publishProfile() {
      const r = await directory.publish()
      events.safeDispatchEvent('profile-published', { detail: r })
      return r
    },
    setName(newName: string | undefined) {
      name = newName
      if (started) directory.changed()
    },
    trust,
    verifier,
    addTrustedRoot(chain: Uint8Array) {
      const r = trust.addRoot(chain, now())
      if (r.added || r.updated) {
        trustChanged(r.registryId, r.added ? 'added' : `root version ${r.rootVersion}`)
        if (started) void fetchStatus(r.registryId)
      }
      return r
    },
    removeTrustedRegistry(registryId: string) {
      const removed = trust.remove(registryId)
      if (removed) trustChanged(registryId, 'removed')
      return removed
    },
    async importStatus(record: Uint8Array, options: { publish?: boolean } = {}) {
      const r = trust.importStatus(record)
      if (r.changed) trustChanged(r.registryId, `status list ${r.seq}`)
      if (options.publish === true && started) {
        try {
          for await (const _ of node.services.dht.put(recordKey('status', r.registryId), record, {
            signal: AbortSignal.timeout(30_000)
          })) {
            // run the put to its end
          }
        } catch (err) {
          log('publishing status list %d of %s: %s', r.seq, r.registryId, (err as Error).message)
        }
      }
      return r
    },
    async refreshStatus() {
      await Promise.allSettled(trust.list().map((r) => fetchStatus(r.registryId)))
    },
    setAttestation(bundle: Uint8Array) {
      let decoded: ReturnType<typeof decodeAttestationBundle>
      try {
        decoded = decodeAttestationBundle(bundle)
      } catch (err) {
        throw new AttestationError(`not an attestation bundle: ${(err as Error).message}`, 'malformed')
      }
      const a = decoded.attestation
      if (Buffer.compare(a.subject, peerIdToBytes(identity.peerId)) !== 0) {
        throw new AttestationError('this attestation was issued to another PeerId, not to this node', 'subject')
      }
      let replaced = false
      if (attestation !== undefined) {
        const held = decodeAttestationBundle(attestation).attestation
        if (a.issuedAt < held.issuedAt) throw new AttestationError('this node holds a newer attestation', 'older')
        replaced = true
      }
      attestation = bundle
      init.saveAttestation?.(bundle)
      verifier.invalidate()
      if (started) directory.changed()
      return { serial: Buffer.from(a.serial).toString('hex'), name: a.name, expiresAt: a.expiresAt, replaced }
    },
    attestation: () => attestation,
    async verifyPeer(peerId: string, options: { refresh?: boolean } = {}) {
      peerIdToBytes(peerId)
      if (options.refresh === true && peerId !== identity.peerId) {
        const profile = await directory.resolve(peerId).catch(() => undefined)
        if (profile !== undefined) verifier.learn(peerId, profile.attestation, 'profile')
        return verifier.refresh(peerId, { force: true })
      }
      return verifier.verify(peerId)
    },
    display: (peerId: string) => verifier.display(peerId),
    async rotateEncryptionKey() {
      identity.purgeRetiredKeys({ now: now() })
      if (identity.encryptionKeys.length >= MAX_ENCRYPTION_KEYS) {
        throw new UsageError(
          `${identity.encryptionKeys.length} encryption keys are still within their grace period; rotate again once the oldest expires`
        )
      }
      const previous = identity.currentEncryptionKey()
      const fresh = identity.rotateEncryptionKey({ now: now() })
      try {
        await init.saveIdentity?.()
      } catch (err) {
        // not saved means not ours after a restart: never publish it
        identity.encryptionKeys.shift()
        delete previous.retiredAt
        throw err
      }
      if (started) directory.changed()
      return fresh
    }
  })
  return messenger as Messenger
}

/**
 * The HTTP API of a real daemon (startDaemon in this process, two nodes on loopback), over real
 * HTTP: bearer-token auth, every route's happy path, the event stream and the OpenAPI document.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { isPeerId } from '../../src/identity/index.ts'
import {
  type AnyJson,
  type HttpResult,
  type LocalNode,
  makeHome,
  startLocalNode,
  tempRoot,
  waitFor
} from '../helpers/daemons.ts'

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const MESSAGE_ID = /^[0-9a-f]{32}$/

function assertJsonError(r: HttpResult, status: number, error?: string | RegExp): void {
  assert.equal(r.status, status, r.text)
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/)
  assert.equal(typeof r.json?.error, 'string', r.text)
  assert.equal(typeof r.json?.message, 'string', r.text)
  if (typeof error === 'string') assert.equal(r.json.error, error, r.text)
  else if (error !== undefined) assert.match(r.json.error, error, r.text)
}

/** Check the fields a message has in the API (messageView). */
function assertMessageShape(m: Record<string, unknown>): void {
  assert.match(m.id as string, MESSAGE_ID)
  assert.ok(isPeerId(m.from), String(m.from))
  assert.ok(isPeerId(m.to), String(m.to))
  assert.ok(m.direction === 'in' || m.direction === 'out')
  assert.ok(['queued', 'sent', 'failed', 'received'].includes(m.status as string))
  assert.match(m.createdAt as string, ISO)
  if (m.direction === 'in') assert.match(m.receivedAt as string, ISO)
  else assert.equal(m.receivedAt, null)
  assert.equal(m.contentType, 1)
}

/** A minimal server-sent events reader over fetch. */
class EventReader {
  readonly events: Array<{ event: string; id?: string; data: AnyJson }> = []
  readonly #controller = new AbortController()
  #waiters: Array<() => void> = []
  status = 0
  contentType = ''

  async open(url: string, token: string): Promise<void> {
    const res = await fetch(`${url}/v1/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: this.#controller.signal
    })
    this.status = res.status
    this.contentType = res.headers.get('content-type') ?? ''
    if (res.body === null) return
    const reader = res.body.getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) return
          buffer += decoder.decode(value, { stream: true })
          let end = buffer.indexOf('\n\n')
          while (end >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            end = buffer.indexOf('\n\n')
            const e: { event: string; id?: string; data: AnyJson } = { event: 'message', data: undefined }
            let data = ''
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) e.event = line.slice(7)
              else if (line.startsWith('id: ')) e.id = line.slice(4)
              else if (line.startsWith('data: ')) data += line.slice(6)
            }
            if (data === '') continue
            e.data = JSON.parse(data)
            this.events.push(e)
            for (const w of this.#waiters.splice(0)) w()
          }
        }
      } catch {
        // aborted
      }
    })()
  }

  async waitFor(pred: (e: { event: string; data: AnyJson }) => boolean, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const hit = this.events.find(pred)
      if (hit !== undefined) return hit
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no matching event; got ${JSON.stringify(this.events)}`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  close(): void {
    this.#controller.abort()
  }
}

/** Structural checks of an OpenAPI 3.0 document (no validator package is installed). */
function checkOpenApi(doc: AnyJson): string[] {
  const problems: string[] = []
  const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])
  if (typeof doc?.openapi !== 'string' || !/^3\.0\.\d+$/.test(doc.openapi)) problems.push('openapi is not 3.0.x')
  if (typeof doc?.info?.title !== 'string' || typeof doc?.info?.version !== 'string') problems.push('info incomplete')
  if (doc?.paths === null || typeof doc?.paths !== 'object') problems.push('no paths')
  const schemes = Object.keys(doc?.components?.securitySchemes ?? {})
  for (const req of doc?.security ?? []) {
    for (const name of Object.keys(req)) if (!schemes.includes(name)) problems.push(`unknown security ${name}`)
  }
  const checkSchema = (s: AnyJson, where: string): void => {
    if (s === null || typeof s !== 'object') {
      problems.push(`${where}: schema is not an object`)
      return
    }
    if ('$ref' in s) {
      const ref = String(s.$ref)
      const target = ref
        .replace(/^#\//, '')
        .split('/')
        .reduce((o: AnyJson, k) => o?.[k], doc)
      if (!ref.startsWith('#/') || target === undefined) problems.push(`${where}: dangling $ref ${ref}`)
      return
    }
    // OpenAPI 3.0 takes one type per schema (nullable: true for null), never a list
    if ('type' in s && typeof s.type !== 'string') problems.push(`${where}: type ${JSON.stringify(s.type)}`)
    if ('nullable' in s && typeof s.nullable !== 'boolean') problems.push(`${where}: nullable`)
    if ('required' in s && !Array.isArray(s.required)) problems.push(`${where}: required`)
    for (const [k, v] of Object.entries<AnyJson>(s.properties ?? {})) checkSchema(v, `${where}.${k}`)
    if (s.items !== undefined) checkSchema(s.items, `${where}[]`)
  }
  for (const [path, item] of Object.entries<AnyJson>(doc?.paths ?? {})) {
    if (!path.startsWith('/')) problems.push(`path ${path} does not start with /`)
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])
    for (const [method, op] of Object.entries<AnyJson>(item)) {
      if (!METHODS.has(method)) {
        if (method !== 'parameters' && method !== 'summary' && method !== 'description')
          problems.push(`${path}: ${method}`)
        continue
      }
      const where = `${method.toUpperCase()} ${path}`
      const responses = Object.entries<AnyJson>(op.responses ?? {})
      if (responses.length === 0) problems.push(`${where}: no responses`)
      for (const [code, res] of responses) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(code)) problems.push(`${where}: response ${code}`)
        if (typeof res.description !== 'string') problems.push(`${where} ${code}: no description`)
        for (const [type, media] of Object.entries<AnyJson>(res.content ?? {})) {
          if (media.schema !== undefined) checkSchema(media.schema, `${where} ${code} ${type}`)
        }
      }
      const params: AnyJson[] = op.parameters ?? []
      const seen = new Set<string>()
      for (const p of params) {
        if (typeof p.name !== 'string' || !['query', 'header', 'path', 'cookie'].includes(p.in))
          problems.push(`${where}: bad parameter ${JSON.stringify(p)}`)
        if (seen.has(`${p.in}:${p.name}`)) problems.push(`${where}: duplicate parameter ${p.name}`)
        seen.add(`${p.in}:${p.name}`)
        if (p.in === 'path' && (p.required !== true || !templated.includes(p.name)))
          problems.push(`${where}: path parameter ${p.name}`)
        if (p.schema !== undefined) checkSchema(p.schema, `${where} param ${p.name}`)
      }
      for (const name of templated) {
        if (!params.some((p) => p.in === 'path' && p.name === name))
          problems.push(`${where}: {${name}} is not declared`)
      }
      if (op.requestBody !== undefined) {
        const content = Object.entries<AnyJson>(op.requestBody.content ?? {})
        if (content.length === 0) problems.push(`${where}: empty requestBody`)
        for (const [type, media] of content) checkSchema(media.schema, `${where} body ${type}`)
      }
    }
  }
  return problems
}

describe('api: routes of a running daemon over HTTP', function () {
  this.timeout(120_000)
  let root: ReturnType<typeof tempRoot>
  let a: LocalNode
  let b: LocalNode

  before(async () => {
    root = tempRoot('parley-api-')
    await makeHome(join(root.path, 'a'), 'Alice')
    await makeHome(join(root.path, 'b'), 'Bob')
    b = await startLocalNode({ home: join(root.path, 'b') })
    a = await startLocalNode({ home: join(root.path, 'a'), bootstrap: b.addresses })
    // both profiles are in the directory, so either side can send
    await waitFor('A to resolve B', async () => (await a.call('GET', `/v1/peers/${b.peerId}`)).status === 200)
    await waitFor('B to resolve A', async () => (await b.call('GET', `/v1/peers/${a.peerId}`)).status === 200)
  })

  after(async () => {
    await a?.stop()
    await b?.stop()
    root?.cleanup()
  })

  describe('authentication', () => {
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/v1/id'],
      ['POST', '/v1/messages', { to: 'x', text: 'y' }],
      ['GET', '/v1/messages'],
      ['GET', `/v1/messages/${'0'.repeat(32)}`],
      ['GET', '/v1/conversations'],
      ['GET', '/v1/contacts'],
      ['POST', '/v1/contacts', { name: 'n', peerId: 'p' }],
      ['DELETE', '/v1/contacts/n'],
      ['GET', '/v1/peers'],
      ['GET', '/v1/peers/12D3KooWx'],
      ['GET', '/v1/events'],
      ['GET', '/v1/openapi.json'],
      ['POST', '/v1/keys/rotate'],
      ['GET', '/v1/no-such-route']
    ]

    it('every route answers 401 with a JSON error when the token is missing', async () => {
      for (const [method, path, body] of routes) {
        const r = await a.call(method, path, { token: null, ...(body !== undefined ? { body } : {}) })
        assertJsonError(r, 401, 'Unauthorized')
      }
    })

    it('a wrong token, another scheme or a token near the real one is refused', async () => {
      const wrong = [
        'not-the-token',
        `${a.token}x`,
        a.token.slice(0, -1),
        a.token.toUpperCase() === a.token ? a.token.toLowerCase() : a.token.toUpperCase(),
        b.token,
        ''
      ]
      for (const token of wrong) assertJsonError(await a.call('GET', '/v1/id', { token }), 401, 'Unauthorized')
      for (const authorization of [`Basic ${a.token}`, `bearer ${a.token}`, a.token, `Bearer  ${a.token}`, 'Bearer']) {
        const r = await a.call('GET', '/v1/id', { token: null, headers: { authorization } })
        assertJsonError(r, 401, 'Unauthorized')
      }
      // the routes behind the check did not run: nothing was sent or saved
      const r = await a.call('POST', '/v1/contacts', { token: 'wrong', body: { name: 'sneaky', peerId: b.peerId } })
      assertJsonError(r, 401)
      const contacts = await a.call('GET', '/v1/contacts')
      assert.ok(!contacts.json.contacts.some((c: { name: string }) => c.name === 'sneaky'))
    })

    it('the right token is accepted', async () => {
      assert.equal((await a.call('GET', '/v1/id')).status, 200)
    })
  })

  it('GET /v1/id: PeerId, name, full multiaddrs and the encryption key', async () => {
    const r = await a.call('GET', '/v1/id')
    assert.equal(r.status, 200)
    assert.equal(r.json.peerId, a.peerId)
    assert.equal(r.json.name, 'Alice')
    assert.ok(r.json.addresses.length > 0)
    for (const addr of r.json.addresses as string[]) {
      assert.equal(multiaddr(addr).getComponents().at(-1)?.value, a.peerId, addr)
      assert.match(addr, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW/)
    }
    assert.match(r.json.encryptionKey.id, /^[0-9a-f]{16}$/)
    assert.match(r.json.encryptionKey.createdAt, ISO)
  })

  it('POST /v1/messages commits and answers 202 queued; the copy turns sent once B acks; B has it once', async () => {
    const r = await a.call('POST', '/v1/messages', { body: { to: b.peerId, text: 'hello Bob' } })
    assert.equal(r.status, 202, r.text)
    assert.match(r.json.id, MESSAGE_ID)
    assert.equal(r.json.status, 'queued')
    assert.equal(r.json.to, b.peerId)
    const id = r.json.id as string
    const mine = await waitFor('the copy to turn sent', async () => {
      const m = await a.call('GET', `/v1/messages/${id}`)
      return m.json?.status === 'sent' ? m.json : undefined
    })
    assertMessageShape(mine)
    assert.equal(mine.direction, 'out')
    assert.equal(mine.from, a.peerId)
    assert.equal(mine.to, b.peerId)
    assert.equal(mine.text, 'hello Bob')
    const theirs = await b.call('GET', `/v1/messages?peer=${a.peerId}&limit=1000`)
    assert.equal(theirs.status, 200)
    const copies = theirs.json.messages.filter((m: { id: string }) => m.id === id)
    assert.equal(copies.length, 1)
    assertMessageShape(copies[0])
    assert.equal(copies[0].direction, 'in')
    assert.equal(copies[0].status, 'received')
    assert.equal(copies[0].text, 'hello Bob')
  })

  it('GET /v1/messages/:id: one message by id (upper-case hex too)', async () => {
    const sent = await a.call('POST', '/v1/messages', { body: { to: b.peerId, text: 'by id' } })
    const id = sent.json.id as string
    const r = await a.call('GET', `/v1/messages/${id}`)
    assert.equal(r.status, 200)
    assertMessageShape(r.json)
    assert.equal(r.json.id, id)
    assert.equal(r.json.text, 'by id')
    const upper = await a.call('GET', `/v1/messages/${id.toUpperCase()}`)
    assert.equal(upper.status, 200, upper.text)
    assert.equal(upper.json.id, id)
    assertJsonError(await a.call('GET', `/v1/messages/${'f'.repeat(32)}`), 404)
  })

  it('contacts: POST 201, GET lists it, a contact name works as a recipient and a filter, DELETE removes it', async () => {
    const created = await a.call('POST', '/v1/contacts', { body: { name: 'bob', peerId: b.peerId } })
    assert.equal(created.status, 201, created.text)
    assert.equal(created.json.name, 'bob')
    assert.equal(created.json.peerId, b.peerId)
    assert.match(created.json.createdAt, ISO)

    const list = await a.call('GET', '/v1/contacts')
    assert.equal(list.status, 200)
    assert.deepEqual(
      list.json.contacts.filter((c: { name: string }) => c.name === 'bob'),
      [created.json]
    )

    const sent = await a.call('POST', '/v1/messages', { body: { to: 'bob', text: 'to a contact name' } })
    assert.equal(sent.status, 202, sent.text)
    assert.equal(sent.json.to, b.peerId)
    const byName = await a.call('GET', '/v1/messages?peer=bob&limit=1000')
    assert.equal(byName.status, 200)
    assert.ok(byName.json.messages.some((m: { id: string }) => m.id === sent.json.id))
    for (const m of byName.json.messages) assert.ok(m.from === b.peerId || m.to === b.peerId)

    const conversations = await a.call('GET', '/v1/conversations')
    assert.equal(
      conversations.json.conversations.find((c: { peer: string }) => c.peer === b.peerId)?.contactName,
      'bob'
    )

    const removed = await a.call('DELETE', '/v1/contacts/bob')
    assert.equal(removed.status, 200)
    assert.deepEqual(removed.json, { removed: 'bob' })
    const after = await a.call('GET', '/v1/contacts')
    assert.ok(!after.json.contacts.some((c: { name: string }) => c.name === 'bob'))
    assertJsonError(await a.call('DELETE', '/v1/contacts/bob'), 404)
  })

  it('GET /v1/messages: newest first, limit, before (id, ms, ISO) and peer filters', async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      const r = await a.call('POST', '/v1/messages', { body: { to: b.peerId, text: `page ${i}` } })
      assert.equal(r.status, 202)
      ids.push(r.json.id)
      await new Promise((r) => setTimeout(r, 5))
    }
    const all = await a.call('GET', `/v1/messages?peer=${b.peerId}&limit=1000`)
    assert.equal(all.status, 200)
    const list = all.json.messages as Array<{ id: string; createdAt: string }>
    for (const m of list) assertMessageShape(m as never)
    for (let i = 1; i < list.length; i++) assert.ok(list[i - 1]!.createdAt >= list[i]!.createdAt, 'newest first')
    assert.deepEqual(
      list.slice(0, 5).map((m) => m.id),
      ids.slice().reverse()
    )

    const first = await a.call('GET', `/v1/messages?peer=${b.peerId}&limit=2`)
    assert.deepEqual(
      first.json.messages.map((m: { id: string }) => m.id),
      [ids[4], ids[3]]
    )
    const next = await a.call('GET', `/v1/messages?peer=${b.peerId}&limit=2&before=${ids[3]}`)
    assert.deepEqual(
      next.json.messages.map((m: { id: string }) => m.id),
      [ids[2], ids[1]]
    )
    const pivot = list.find((m) => m.id === ids[2])!
    const ms = Date.parse(pivot.createdAt)
    const byMs = await a.call('GET', `/v1/messages?peer=${b.peerId}&before=${ms}&limit=1000`)
    assert.equal(byMs.status, 200)
    for (const m of byMs.json.messages) assert.ok(Date.parse(m.createdAt) < ms)
    assert.ok(byMs.json.messages.some((m: { id: string }) => m.id === ids[1]))
    const byIso = await a.call('GET', `/v1/messages?peer=${b.peerId}&limit=1000&before=${pivot.createdAt}`)
    assert.deepEqual(byIso.json.messages, byMs.json.messages)

    const fromB = await b.call('GET', `/v1/messages?peer=${a.peerId}&limit=1000`)
    for (const m of fromB.json.messages) assert.ok(m.from === a.peerId || m.to === a.peerId)
    const none = await a.call('GET', '/v1/messages?before=0')
    assert.deepEqual(none.json, { messages: [] })
  })

  it('GET /v1/conversations: one entry per peer, with the last message', async () => {
    const sent = await a.call('POST', '/v1/messages', { body: { to: b.peerId, text: 'latest' } })
    const r = await a.call('GET', '/v1/conversations')
    assert.equal(r.status, 200)
    const withB = r.json.conversations.filter((c: { peer: string }) => c.peer === b.peerId)
    assert.equal(withB.length, 1)
    assert.equal(withB[0].lastMessageId, sent.json.id)
    assert.equal(withB[0].lastDirection, 'out')
    assert.equal(withB[0].lastText, 'latest')
    assert.match(withB[0].lastMessageAt, ISO)
    assert.ok(Number.isInteger(withB[0].count) && withB[0].count >= 1)
    assert.ok(Number.isInteger(withB[0].unread))
  })

  it('GET /v1/peers: the connected peers with their addresses', async () => {
    const r = await a.call('GET', '/v1/peers')
    assert.equal(r.status, 200)
    const peerB = r.json.peers.find((p: { peerId: string }) => p.peerId === b.peerId)
    assert.ok(peerB, r.text)
    assert.ok(peerB.addresses.length > 0)
    for (const addr of peerB.addresses) multiaddr(addr)
  })

  it("GET /v1/peers/:peerId: the peer's signed profile (by PeerId, by contact name, fresh)", async () => {
    const r = await a.call('GET', `/v1/peers/${b.peerId}`)
    assert.equal(r.status, 200, r.text)
    assert.equal(r.json.peerId, b.peerId)
    assert.equal(r.json.name, 'Bob')
    assert.ok(Number.isInteger(r.json.seq) && r.json.seq > 0)
    assert.match(r.json.issuedAt, ISO)
    assert.ok(Date.parse(r.json.expiresAt) > Date.parse(r.json.issuedAt))
    assert.ok(r.json.addresses.some((x: string) => x.includes('/tcp/')))
    assert.match(r.json.encryptionKey.id, /^[0-9a-f]{16}$/)
    const bId = await b.call('GET', '/v1/id')
    assert.equal(r.json.encryptionKey.id, bId.json.encryptionKey.id)
    assert.ok(Array.isArray(r.json.mailboxes))

    const fresh = await a.call('GET', `/v1/peers/${b.peerId}?fresh=true`)
    assert.equal(fresh.status, 200, fresh.text)
    assert.equal(fresh.json.peerId, b.peerId)

    await a.call('POST', '/v1/contacts', { body: { name: 'bobby', peerId: b.peerId } })
    const byName = await a.call('GET', '/v1/peers/bobby')
    assert.equal(byName.status, 200)
    assert.equal(byName.json.peerId, b.peerId)
    await a.call('DELETE', '/v1/contacts/bobby')

    const self = await a.call('GET', `/v1/peers/${a.peerId}`)
    assert.equal(self.status, 200)
    assert.equal(self.json.peerId, a.peerId)
  })

  it('GET /v1/events: server-sent message-received and message-status (queued, then sent)', async () => {
    const events = new EventReader()
    await events.open(a.url, a.token)
    try {
      assert.equal(events.status, 200)
      assert.match(events.contentType, /^text\/event-stream/)
      // a message from B arrives at A
      const incoming = await b.call('POST', '/v1/messages', { body: { to: a.peerId, text: 'over the stream' } })
      assert.equal(incoming.status, 202, incoming.text)
      const received = await events.waitFor(
        (e) => e.event === 'message-received' && e.data?.message?.id === incoming.json.id
      )
      assertMessageShape(received.data.message)
      assert.equal(received.data.message.from, b.peerId)
      assert.equal(received.data.message.to, a.peerId)
      assert.equal(received.data.message.text, 'over the stream')
      assert.equal(received.data.message.direction, 'in')

      // a message from A: queued, then sent once B acked it
      const outgoing = await a.call('POST', '/v1/messages', { body: { to: b.peerId, text: 'status please' } })
      const id = outgoing.json.id as string
      const queued = await events.waitFor((e) => e.event === 'message-status' && e.data?.id === id)
      assert.deepEqual(queued.data, { id, to: b.peerId, status: 'queued' })
      const sent = await events.waitFor(
        (e) => e.event === 'message-status' && e.data?.id === id && e.data.status === 'sent'
      )
      assert.deepEqual(sent.data, { id, to: b.peerId, status: 'sent' })
      assert.ok(events.events.indexOf(queued) < events.events.indexOf(sent))
      // event ids count up
      const ids = events.events.map((e) => Number(e.id))
      assert.deepEqual(
        ids,
        ids.map((_, i) => i + 1)
      )
      // each received message is announced once
      assert.equal(
        events.events.filter((e) => e.event === 'message-received' && e.data.message.id === incoming.json.id).length,
        1
      )
    } finally {
      events.close()
    }
  })

  it('GET /v1/events: at most 64 streams at once (then 429 JSON); closed streams give their slot back', async () => {
    const open: EventReader[] = []
    let refused: EventReader | undefined
    try {
      for (let i = 0; i < 100 && refused === undefined; i++) {
        const events = new EventReader()
        await events.open(a.url, a.token)
        if (events.status === 200) open.push(events)
        else refused = events
      }
      assert.ok(refused, 'no stream was refused')
      assert.equal(refused.status, 429)
      assert.match(refused.contentType, /^application\/json/)
      // streams of earlier tests may still be closing on the server side
      assert.ok(open.length > 50 && open.length <= 64, `${open.length} streams open`)
    } finally {
      for (const e of [...open, refused]) e?.close()
    }
    // the slots come back as the sockets close: a reconnecting client gets through
    for (let i = 0; i < 3; i++) {
      await waitFor(`stream ${i} after closing`, async () => {
        const events = new EventReader()
        await events.open(a.url, a.token)
        events.close()
        return events.status === 200
      })
    }
  })

  it('GET /v1/openapi.json is an OpenAPI 3 document listing every route', async () => {
    const r = await a.call('GET', '/v1/openapi.json')
    assert.equal(r.status, 200)
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/)
    const doc = r.json
    assert.deepEqual(checkOpenApi(doc), [])
    const expected: Record<string, string[]> = {
      '/v1/id': ['get'],
      '/v1/messages': ['get', 'post'],
      '/v1/messages/{id}': ['get'],
      '/v1/conversations': ['get'],
      '/v1/contacts': ['get', 'post'],
      '/v1/contacts/{name}': ['delete'],
      '/v1/peers': ['get'],
      '/v1/peers/{peerId}': ['get'],
      '/v1/events': ['get']
    }
    for (const [path, methods] of Object.entries(expected)) {
      assert.ok(doc.paths[path], `${path} missing`)
      for (const m of methods) assert.ok(doc.paths[path][m], `${m} ${path} missing`)
    }
    assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer' })
    assert.deepEqual(doc.security, [{ bearer: [] }])
    // what the server validates is what the document says
    const post = doc.paths['/v1/messages'].post
    assert.deepEqual(post.requestBody.content['application/json'].schema.required, ['to', 'text'])
    assert.ok(post.responses['202'])
    for (const code of ['400', '401', '404', '413'])
      assert.deepEqual(post.responses[code].content['application/json'].schema.required, ['error', 'message'])
    const params = doc.paths['/v1/messages'].get.parameters.map((p: { name: string }) => p.name).sort()
    assert.deepEqual(params, ['before', 'limit', 'peer'])
  })
})

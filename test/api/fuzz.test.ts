/**
 * Fuzz of the HTTP API of a running daemon (notes/reliability.md T7.2): random and mutated JSON
 * bodies, query strings, path parameters, methods and content types across every route. No answer
 * may be a 5xx, every 4xx is a JSON `{error, message}`, and the server stays up with its store intact.
 *
 * PARLEY_FUZZ_RUNS sets the number of requests (default 2,000); PARLEY_FUZZ_SEED replays a run.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import fc from 'fast-check'
import { MAX_API_BODY_BYTES } from '../../src/api/index.ts'
import { peerIdFromPublicKey } from '../../src/identity/index.ts'
import { type LocalNode, makeHome, startLocalNode, tempRoot, waitFor } from '../helpers/daemons.ts'

const RUNS = Number(process.env.PARLEY_FUZZ_RUNS ?? 2_000)
const SEED = process.env.PARLEY_FUZZ_SEED !== undefined ? Number(process.env.PARLEY_FUZZ_SEED) : undefined

interface FuzzRequest {
  method: string
  path: string
  body?: string | Uint8Array<ArrayBuffer>
  contentType?: string
  /** Replace the right token (undefined keeps it). */
  token?: string | null
}

/** Edit a string: delete, replace, insert or truncate at a position. */
function mutateString(s: string): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.nat({ max: Math.max(0, s.length) }),
      fc.integer({ min: 0, max: 3 }),
      fc.string({ minLength: 1, maxLength: 3 })
    )
    .map(([i, op, piece]) => {
      if (op === 0) return s.slice(0, i) + s.slice(i + 1)
      if (op === 1) return s.slice(0, i) + piece + s.slice(i + 1)
      if (op === 2) return s.slice(0, i) + piece + s.slice(i)
      return s.slice(0, i)
    })
}

/** Flip bits, overwrite bytes and maybe truncate the UTF-8 form of a string. */
function mutateBytes(s: string): fc.Arbitrary<Uint8Array<ArrayBuffer>> {
  const bytes = new TextEncoder().encode(s)
  return fc
    .tuple(
      fc.array(fc.tuple(fc.nat({ max: Math.max(0, bytes.length - 1) }), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4
      }),
      fc.option(fc.nat({ max: bytes.length }), { freq: 4 })
    )
    .map(([edits, cut]) => {
      const out = Uint8Array.from(bytes)
      for (const [i, v] of edits) if (out.length > 0) out[i] = v < 8 ? out[i]! ^ (1 << v) : v
      return cut === null ? out : out.slice(0, cut)
    })
}

/** encodeURIComponent, except that a lone surrogate goes out as the (invalid) UTF-8 of its code unit. */
function percentEncode(s: string): string {
  let out = ''
  for (const ch of s) {
    const code = ch.codePointAt(0)!
    if (code >= 0xd800 && code <= 0xdfff) {
      out +=
        `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase()
    } else out += encodeURIComponent(ch)
  }
  return out
}

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40
})

describe('api: fuzz of bodies, query strings and parameters', function () {
  this.timeout(Math.max(300_000, RUNS * 150))
  let root: ReturnType<typeof tempRoot>
  let a: LocalNode
  let b: LocalNode

  before(async () => {
    root = tempRoot('parley-api-fuzz-')
    await makeHome(join(root.path, 'a'))
    await makeHome(join(root.path, 'b'))
    b = await startLocalNode({ home: join(root.path, 'b') })
    a = await startLocalNode({
      home: join(root.path, 'a'),
      bootstrap: b.addresses,
      // mutated PeerIds are mostly strangers: give up looking them up quickly and retry rarely
      messenger: { resolveTimeoutMs: 300, backoff: { baseMs: 60_000, capMs: 300_000 } }
    })
    await waitFor('A to resolve B', async () => (await a.call('GET', `/v1/peers/${b.peerId}`)).status === 200)
    assert.equal((await a.call('POST', '/v1/contacts', { body: { name: 'bob', peerId: b.peerId } })).status, 201)
  })

  after(async () => {
    await a?.stop()
    await b?.stop()
    root?.cleanup()
  })

  it(`${RUNS} random and mutated requests: no 5xx, every 4xx a JSON error, the server stays up`, async () => {
    const stranger = peerIdFromPublicKey(new Uint8Array(32).fill(9))
    const sent = await a.call('POST', '/v1/messages', { body: { to: b.peerId, text: 'a real one' } })
    const knownId = sent.json.id as string

    const specials = fc.constantFrom(
      '',
      ' ',
      'bob',
      'BOB',
      'nobody',
      b.peerId,
      a.peerId,
      stranger,
      knownId,
      '12D3KooW',
      '%',
      '%zz',
      '%00',
      '%ff',
      '../..',
      '\u0000',
      '\ud800',
      '\u202e',
      'null',
      'true',
      'false',
      '1e400',
      '-1',
      '0',
      '1',
      '1000',
      '1001',
      '1.5',
      '9'.repeat(30),
      'a'.repeat(70),
      'f'.repeat(32),
      '2024-01-01T00:00:00Z',
      '__proto__',
      'constructor'
    )
    const text = fc.oneof(
      { weight: 4, arbitrary: specials },
      { weight: 3, arbitrary: fc.string({ maxLength: 80 }) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
      { weight: 2, arbitrary: mutateString(b.peerId) },
      { weight: 1, arbitrary: mutateString(knownId) },
      { weight: 1, arbitrary: fc.string({ minLength: 1_000, maxLength: 70_000, unit: 'grapheme-ascii' }) }
    )
    const anyValue = fc.oneof({ weight: 3, arbitrary: text }, { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) })
    const extras = fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), specials), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 2
    })
    const messageBody = fc.oneof(
      {
        weight: 2,
        arbitrary: fc.record({
          to: fc.constantFrom('bob', b.peerId),
          text: fc.string({ minLength: 1, maxLength: 200 })
        })
      },
      { weight: 4, arbitrary: fc.record({ to: text, text }, { requiredKeys: [] }) },
      { weight: 2, arbitrary: fc.record({ to: anyValue, text: anyValue }, { requiredKeys: [] }) },
      {
        weight: 1,
        arbitrary: fc.tuple(fc.record({ to: text, text }), extras).map(([o, e]) => ({ ...e, ...o }))
      },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) }
    )
    const freshPeer = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((k) => peerIdFromPublicKey(k))
    const contactBody = fc.oneof(
      {
        weight: 2,
        arbitrary: fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9 ._-]{0,30}$/), peerId: freshPeer })
      },
      { weight: 4, arbitrary: fc.record({ name: text, peerId: text }, { requiredKeys: [] }) },
      { weight: 2, arbitrary: fc.record({ name: anyValue, peerId: anyValue }, { requiredKeys: [] }) },
      {
        weight: 1,
        arbitrary: fc.tuple(fc.record({ name: text, peerId: text }), extras).map(([o, e]) => ({ ...e, ...o }))
      },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) }
    )
    const huge = JSON.stringify({ to: 'bob', text: 'x'.repeat(MAX_API_BODY_BYTES) })
    const rawOf = (objects: fc.Arbitrary<unknown>): fc.Arbitrary<string | Uint8Array<ArrayBuffer>> =>
      fc.oneof(
        { weight: 6, arbitrary: objects.map((o) => JSON.stringify(o) ?? 'null') },
        { weight: 2, arbitrary: objects.chain((o) => mutateString(JSON.stringify(o) ?? '')) },
        { weight: 2, arbitrary: objects.chain((o) => mutateBytes(JSON.stringify(o) ?? '{}')) },
        { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((u) => Uint8Array.from(u)) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            '',
            '{',
            '[',
            '{"to":',
            '{"__proto__": {"x": 1}}',
            '{"to": "bob", "to": "nobody", "text": "dup"}',
            `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
            huge
          )
        }
      )
    const contentType = fc.oneof(
      { weight: 12, arbitrary: fc.constant('application/json') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'application/json; charset=utf-8',
          'APPLICATION/JSON',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/json; charset=latin1',
          'application/*',
          'application/octet-stream',
          ''
        )
      },
      { weight: 1, arbitrary: printable }
    )
    const encode = (s: string, raw: boolean): string => (raw ? s : percentEncode(s))
    const queryKey = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('peer', 'limit', 'before', 'fresh') },
      { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 8 }), specials) }
    )
    const query = fc
      .array(fc.tuple(queryKey, fc.oneof(text, fc.integer().map(String)), fc.boolean()), { maxLength: 4 })
      .map((pairs) =>
        pairs.length === 0 ? '' : `?${pairs.map(([k, v, raw]) => `${encode(k, raw)}=${encode(v, raw)}`).join('&')}`
      )
    const param = fc.tuple(text, fc.boolean()).map(([s, raw]) => encode(s, raw))
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD')

    const request: fc.Arbitrary<FuzzRequest> = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          method: fc.constant('POST'),
          path: fc.constant('/v1/messages'),
          body: rawOf(messageBody),
          contentType
        })
      },
      {
        weight: 4,
        arbitrary: fc.record({
          method: fc.constant('POST'),
          path: fc.constant('/v1/contacts'),
          body: rawOf(contactBody),
          contentType
        })
      },
      { weight: 4, arbitrary: query.map((q) => ({ method: 'GET', path: `/v1/messages${q}` })) },
      { weight: 2, arbitrary: param.map((p) => ({ method: 'GET', path: `/v1/messages/${p}` })) },
      { weight: 2, arbitrary: param.map((p) => ({ method: 'DELETE', path: `/v1/contacts/${p}` })) },
      {
        weight: 2,
        arbitrary: fc.tuple(param, query).map(([p, q]) => ({ method: 'GET', path: `/v1/peers/${p}${q}` }))
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            fc.constantFrom(
              '/v1/id',
              '/v1/conversations',
              '/v1/contacts',
              '/v1/peers',
              '/v1/openapi.json',
              '/v1/events',
              '/v1/messages'
            ),
            query
          )
          .map(([p, q]) => ({ method: 'GET', path: `${p}${q}` }))
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            method,
            fc.constantFrom('/v1/id', '/v1/messages', '/v1/contacts', '/v1/peers', '/v1/conversations', '/'),
            param,
            fc.option(rawOf(fc.jsonValue({ maxDepth: 2 }))),
            contentType
          )
          .map(([m, p, extra, body, ct]) => ({
            method: m,
            path: extra === '' ? p : `${p.replace(/\/$/, '')}/${extra}`,
            ...(body !== null && m !== 'GET' && m !== 'HEAD' ? { body, contentType: ct } : {})
          }))
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.constantFrom('/v1/id', '/v1/messages', '/v1/contacts'), fc.option(printable, { nil: null }))
          .map(([p, token]) => ({ method: 'GET', path: p, token }))
      }
    )

    const statuses = new Map<number, number>()
    let n = 0
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        n++
        const headers: Record<string, string> = {}
        const token = req.token === undefined ? a.token : req.token
        if (token !== null) headers.authorization = `Bearer ${token}`
        if (req.body !== undefined && req.contentType !== undefined) headers['content-type'] = req.contentType
        const controller = new AbortController()
        const timer = setTimeout(() => controller.abort(), 20_000)
        let res: Response
        try {
          res = await fetch(`${a.url}${req.path}`, {
            method: req.method,
            headers,
            ...(req.body !== undefined ? { body: req.body } : {}),
            signal: controller.signal
          })
        } finally {
          clearTimeout(timer)
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
        const isStream = (res.headers.get('content-type') ?? '').startsWith('text/event-stream')
        if (isStream) {
          await res.body?.cancel()
          assert.equal(res.status, 200)
          return
        }
        const body = await res.text()
        const what = `${req.method} ${req.path.slice(0, 200)} → ${res.status} ${body.slice(0, 200)}`
        assert.ok(res.status < 500, what)
        if (res.status >= 400 && req.method !== 'HEAD') {
          let json: { error?: unknown; message?: unknown } | undefined
          try {
            json = JSON.parse(body)
          } catch {
            json = undefined
          }
          assert.equal(typeof json?.error, 'string', what)
          assert.equal(typeof json?.message, 'string', what)
        }
        if (req.token !== undefined && req.token !== a.token) assert.equal(res.status, 401, what)
      }),
      { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true }
    )
    assert.equal(n, RUNS)
    // every kind of answer was seen, so the fuzz reached past the parsers into the handlers
    for (const status of [200, 201, 202, 400, 401, 404]) assert.ok(statuses.has(status), `no ${status} seen`)
    assert.ok(![...statuses.keys()].some((s) => s >= 500))
    if (process.env.PARLEY_FUZZ_VERBOSE) console.log(Object.fromEntries([...statuses].sort((x, y) => x[0] - y[0])))

    // the server is up, still serves, and its store is intact
    assert.equal((await a.call('GET', '/v1/id')).status, 200)
    const again = await a.call('POST', '/v1/messages', { body: { to: b.peerId, text: 'still here' } })
    assert.equal(again.status, 202)
    await waitFor('a message after the fuzz to be acked', async () => {
      return (await a.call('GET', `/v1/messages/${again.json.id}`)).json?.status === 'sent'
    })
    assert.equal(a.daemon.store.integrityCheck(), 'ok')
  })
})

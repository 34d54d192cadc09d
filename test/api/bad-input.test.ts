/**
 * Bad input to the HTTP API of a real daemon: every case gets a 4xx with a JSON `{error, message}`
 * body, never a 5xx, and changes nothing already stored (notes/reliability.md T7.2).
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { MAX_API_BODY_BYTES } from '../../src/api/index.ts'
import { peerIdFromPublicKey } from '../../src/identity/index.ts'
import {
  type CallInit,
  type HttpResult,
  type LocalNode,
  makeHome,
  startLocalNode,
  tempRoot,
  waitFor
} from '../helpers/daemons.ts'

/** A well-formed PeerId nobody runs. */
const STRANGER = peerIdFromPublicKey(new Uint8Array(32).fill(7))

function assertClientError(r: HttpResult, status?: number, error?: string | RegExp): void {
  const what = `${r.status} ${r.text.slice(0, 300)}`
  assert.ok(r.status >= 400 && r.status < 500, what)
  if (status !== undefined) assert.equal(r.status, status, what)
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/, what)
  assert.equal(typeof r.json?.error, 'string', what)
  assert.equal(typeof r.json?.message, 'string', what)
  assert.ok(r.json.message.length > 0, what)
  if (typeof error === 'string') assert.equal(r.json.error, error, what)
  else if (error !== undefined) assert.match(r.json.error, error, what)
}

describe('api: bad input gets a 4xx with a JSON error, never a 5xx', function () {
  this.timeout(120_000)
  let root: ReturnType<typeof tempRoot>
  let a: LocalNode
  let b: LocalNode
  let snapshot: { messages: unknown; contacts: unknown }

  const expect4xx = async (
    method: string,
    path: string,
    init: CallInit,
    status?: number,
    error?: string | RegExp
  ): Promise<HttpResult> => {
    const r = await a.call(method, path, init)
    assertClientError(r, status, error)
    return r
  }

  before(async () => {
    root = tempRoot('parley-api-bad-')
    await makeHome(join(root.path, 'a'))
    await makeHome(join(root.path, 'b'))
    b = await startLocalNode({ home: join(root.path, 'b') })
    a = await startLocalNode({
      home: join(root.path, 'a'),
      bootstrap: b.addresses,
      // an unknown recipient is given up on quickly
      messenger: { resolveTimeoutMs: 2_000 }
    })
    await waitFor('A to resolve B', async () => (await a.call('GET', `/v1/peers/${b.peerId}`)).status === 200)
    // something stored that bad input must leave alone
    assert.equal((await a.call('POST', '/v1/contacts', { body: { name: 'bob', peerId: b.peerId } })).status, 201)
    const sent = await a.call('POST', '/v1/messages', { body: { to: 'bob', text: 'before the storm' } })
    assert.equal(sent.status, 202)
    await waitFor('the first message to be acked', async () => {
      return (await a.call('GET', `/v1/messages/${sent.json.id}`)).json?.status === 'sent'
    })
    snapshot = {
      messages: (await a.call('GET', '/v1/messages?limit=1000')).json,
      contacts: (await a.call('GET', '/v1/contacts')).json
    }
  })

  after(async () => {
    await a?.stop()
    await b?.stop()
    root?.cleanup()
  })

  it('malformed JSON bodies', async () => {
    const bodies = [
      '{',
      '{bad',
      '{"to": "bob", "text": "hi"',
      '{"to": "bob", "text": "hi"} trailing',
      "{'to': 'bob'}",
      '{"to": "bob", "text": "hi",}',
      '\u0000',
      'NaN',
      '{"to": "bob", "text": "\\x41"}',
      '{"to": "bob", "text": "\\ud800"}x',
      ' '
    ]
    for (const raw of bodies) {
      await expect4xx('POST', '/v1/messages', { raw }, 400)
      await expect4xx('POST', '/v1/contacts', { raw }, 400)
    }
    // prototype pollution attempts are refused by the parser
    await expect4xx('POST', '/v1/messages', { raw: '{"__proto__": {"admin": true}, "to": "bob", "text": "x"}' }, 400)
    await expect4xx(
      'POST',
      '/v1/contacts',
      { raw: '{"constructor": {"prototype": {"x": 1}}, "name": "x", "peerId": "y"}' },
      400
    )
    // invalid UTF-8
    await expect4xx('POST', '/v1/messages', { raw: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) })
    // nesting deep enough to trouble a recursive parser
    await expect4xx('POST', '/v1/messages', { raw: `${'['.repeat(100_000)}${']'.repeat(100_000)}` }, 400)
    await expect4xx('POST', '/v1/messages', { raw: `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}` }, 400)
  })

  it('empty bodies and bodies that are not JSON objects', async () => {
    await expect4xx('POST', '/v1/messages', { raw: '' }, 400)
    await expect4xx('POST', '/v1/messages', { contentType: null }, 400)
    for (const body of [null, [], 'text', 42, true, [{ to: 'bob', text: 'hi' }]]) {
      await expect4xx('POST', '/v1/messages', { body }, 400, 'ValidationError')
      await expect4xx('POST', '/v1/contacts', { body }, 400, 'ValidationError')
    }
  })

  it('other content types', async () => {
    await expect4xx('POST', '/v1/messages', { raw: 'to=bob&text=hi', contentType: 'application/x-www-form-urlencoded' })
    await expect4xx('POST', '/v1/messages', { raw: 'hi', contentType: 'text/plain' })
    await expect4xx('POST', '/v1/messages', { raw: '<a/>', contentType: 'application/xml' })
    await expect4xx('POST', '/v1/messages', { raw: '--x\r\n\r\n--x--', contentType: 'multipart/form-data; boundary=x' })
    await expect4xx('POST', '/v1/messages', { raw: '{}', contentType: 'application/json; charset=utf-16' })
    await expect4xx('POST', '/v1/messages', { raw: '{}', contentType: 'not a media type' })
  })

  it('wrong types, missing fields and unknown fields', async () => {
    const messageBodies: unknown[] = [
      {},
      { to: 'bob' },
      { text: 'hi' },
      { to: 5, text: 'hi' },
      { to: 'bob', text: 5 },
      { to: 'bob', text: true },
      { to: 'bob', text: null },
      { to: null, text: 'hi' },
      { to: 'bob', text: {} },
      { to: 'bob', text: ['hi'] },
      { to: ['bob'], text: 'hi' },
      { to: { $ne: null }, text: 'hi' },
      { to: 'bob', text: 'hi', extra: 1 },
      { to: 'bob', text: 'hi', __proto__x: 1 },
      { to: 'bob', text: '' },
      { to: '', text: 'hi' },
      { to: 'x'.repeat(129), text: 'hi' },
      { to: 'bob', text: 'x'.repeat(60_001) }
    ]
    for (const body of messageBodies) await expect4xx('POST', '/v1/messages', { body }, 400, 'ValidationError')
    const contactBodies: unknown[] = [
      {},
      { name: 'x' },
      { peerId: STRANGER },
      { name: 5, peerId: STRANGER },
      { name: 'x', peerId: 5 },
      { name: 'x', peerId: STRANGER, extra: true },
      { name: '', peerId: STRANGER },
      { name: 'x'.repeat(65), peerId: STRANGER },
      { name: 'x', peerId: 'p'.repeat(129) }
    ]
    for (const body of contactBodies) await expect4xx('POST', '/v1/contacts', { body }, 400)
  })

  it('text that is not well-formed Unicode, or too big once encoded', async () => {
    await expect4xx('POST', '/v1/messages', { raw: '{"to": "bob", "text": "\\ud800"}' }, 400)
    await expect4xx('POST', '/v1/messages', { raw: '{"to": "bob", "text": "a\\udc00b"}' }, 400)
    // 30,000 three-byte characters: under the character cap, over the 64 KiB envelope body cap
    await expect4xx('POST', '/v1/messages', { body: { to: 'bob', text: '€'.repeat(30_000) } }, 413, 'OversizedError')
  })

  it('a body over 256 KiB is 413, with or without a content-length', async () => {
    const big = JSON.stringify({ to: 'bob', text: 'x'.repeat(MAX_API_BODY_BYTES) })
    await expect4xx('POST', '/v1/messages', { raw: big }, 413)
    await expect4xx('POST', '/v1/contacts', { raw: big }, 413)
    // exactly at the limit is parsed (and then refused by the schema), one byte over is not
    const atLimit = JSON.stringify({ to: 'bob', text: 'x' })
    const padded = `${atLimit.slice(0, -1)}${' '.repeat(MAX_API_BODY_BYTES - atLimit.length)}}`
    assert.equal(padded.length, MAX_API_BODY_BYTES)
    assertClientError(await a.call('POST', '/v1/contacts', { raw: padded }), 400, 'ValidationError')
    await expect4xx('POST', '/v1/contacts', { raw: `${padded} ` }, 413)
    // streamed in chunks, no content-length: the limit still holds
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024))
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"to": "bob", "text": "'))
      },
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk)
        else {
          controller.enqueue(new TextEncoder().encode('"}'))
          controller.close()
        }
      }
    })
    const res = await fetch(`${a.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half'
    } as RequestInit)
    const text = await res.text()
    assert.equal(res.status, 413, text)
    assert.equal(typeof JSON.parse(text).error, 'string')
  })

  it('bad PeerIds', async () => {
    const bad = [
      '12D3KooW',
      '12D3KooWxyz',
      `${STRANGER}x`,
      STRANGER.slice(0, -1),
      `${STRANGER.slice(0, -1)}0`,
      `12D3KooW${'1'.repeat(44)}`,
      'x'.repeat(65)
    ]
    for (const peer of bad) {
      await expect4xx('POST', '/v1/messages', { body: { to: peer, text: 'hi' } }, 400, /InvalidPeerIdError|Validation/)
      await expect4xx(
        'POST',
        '/v1/contacts',
        { body: { name: 'x', peerId: peer } },
        400,
        /InvalidPeerIdError|Validation/
      )
      await expect4xx('GET', `/v1/peers/${encodeURIComponent(peer)}`, {}, 400, 'InvalidPeerIdError')
      await expect4xx('GET', `/v1/messages?peer=${encodeURIComponent(peer)}`, {}, 400, 'InvalidPeerIdError')
    }
    // a PeerId of another key type is not a Parley address
    await expect4xx(
      'POST',
      '/v1/contacts',
      { body: { name: 'rsa', peerId: 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N' } },
      400,
      'InvalidPeerIdError'
    )
    // sending to ourselves is bad input too
    await expect4xx('POST', '/v1/messages', { body: { to: a.peerId, text: 'me' } }, 400)
    // a name that is a PeerId would be ambiguous
    await expect4xx('POST', '/v1/contacts', { body: { name: STRANGER, peerId: STRANGER } }, 400)
  })

  it('unknown contacts and unknown peers are 404', async () => {
    await expect4xx('POST', '/v1/messages', { body: { to: 'nobody', text: 'hi' } }, 404, 'UnknownContactError')
    await expect4xx('GET', '/v1/messages?peer=nobody', {}, 404, 'UnknownContactError')
    await expect4xx('GET', '/v1/peers/nobody', {}, 404, 'UnknownContactError')
    await expect4xx('DELETE', '/v1/contacts/nobody', {}, 404, 'UnknownContactError')
    // a well-formed PeerId with no profile in the directory (a message to it would be queued
    // until it shows up, which is not bad input)
    await expect4xx('GET', `/v1/peers/${STRANGER}`, {}, 404, 'PeerNotFoundError')
    await expect4xx('GET', `/v1/messages/${'a'.repeat(32)}`, {}, 404)
  })

  it('a duplicate contact is 409 (same name in any case, or same PeerId)', async () => {
    await expect4xx('POST', '/v1/contacts', { body: { name: 'bob', peerId: STRANGER } }, 409, 'ContactNameTakenError')
    await expect4xx('POST', '/v1/contacts', { body: { name: 'BOB', peerId: STRANGER } }, 409, 'ContactNameTakenError')
    await expect4xx('POST', '/v1/contacts', { body: { name: 'bob2', peerId: b.peerId } }, 409, 'ContactPeerTakenError')
  })

  it('contact names the store refuses', async () => {
    for (const name of [' ', 'a\u0000b', 'a\nb', '\u001b[31mred']) {
      await expect4xx('POST', '/v1/contacts', { body: { name, peerId: STRANGER } }, 400)
    }
    await expect4xx('POST', '/v1/contacts', { raw: `{"name": "\\ud800", "peerId": "${STRANGER}"}` }, 400)
    await expect4xx('DELETE', `/v1/contacts/${'x'.repeat(65)}`, {}, 400)
  })

  it('bad limit and before', async () => {
    for (const q of ['0', '-1', '1001', '1.5', 'abc', '', '1e3', '0x10', '1&limit=2', '99999999999999999999']) {
      await expect4xx('GET', `/v1/messages?limit=${q}`, {}, 400)
    }
    const befores = [
      'zzz',
      '',
      '1e400',
      '99999999999999999999999',
      '-',
      '2024-13-45',
      '%00',
      'a'.repeat(65),
      'f'.repeat(32), // a well-formed id that names no message
      '1&before=2'
    ]
    for (const q of befores) await expect4xx('GET', `/v1/messages?before=${q}`, {}, 400)
    await expect4xx('GET', '/v1/messages?unknown=1', {}, 400, 'ValidationError')
    await expect4xx('GET', '/v1/messages?peer[0]=a', {}, 400)
    await expect4xx('GET', `/v1/peers/${b.peerId}?fresh=maybe`, {}, 400)
    await expect4xx('GET', `/v1/peers/${b.peerId}?other=1`, {}, 400)
  })

  it('bad message ids, bad URLs, unknown routes and methods', async () => {
    for (const id of ['zz', '0'.repeat(31), '0'.repeat(33), 'g'.repeat(32), '%20', '..%2F..%2Fetc']) {
      await expect4xx('GET', `/v1/messages/${id}`, {}, 400)
    }
    await expect4xx('GET', '/v1/messages/%ff', {}, 400)
    await expect4xx('GET', '/v1/peers/%E0%A4%A', {}, 400)
    await expect4xx('GET', '/v1/nothing', {}, 404, 'NotFound')
    await expect4xx('PUT', '/v1/messages', { body: {} }, 404)
    await expect4xx('PATCH', '/v1/contacts', { body: {} }, 404)
    await expect4xx('DELETE', '/v1/contacts', {}, 404)
  })

  it('after all that: the server is up and nothing stored changed', async () => {
    assert.equal((await a.call('GET', '/v1/id')).status, 200)
    assert.deepEqual((await a.call('GET', '/v1/messages?limit=1000')).json, snapshot.messages)
    assert.deepEqual((await a.call('GET', '/v1/contacts')).json, snapshot.contacts)
  })
})

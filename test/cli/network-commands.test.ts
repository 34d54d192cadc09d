/**
 * The network commands as real `parley` child processes, talking to daemons that run in this
 * process: send (--wait, --timeout), inbox --json, contacts, peers, resolve; and the one-line
 * errors for bad input and for a daemon that is not running.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { peerIdFromPublicKey } from '../../src/identity/index.ts'
import type { MessageView } from '../../src/messenger/index.ts'
import type { CliResult } from '../helpers/cli.ts'
import { type LocalNode, makeHome, ProcessGroup, startLocalNode, tempRoot, waitFor } from '../helpers/daemons.ts'

const STACK_LINE = /^\s+at .+:\d+/m
const STRANGER = peerIdFromPublicKey(new Uint8Array(32).fill(3))

/** A failure as the CLI must report it: non-zero, one line on stderr, no stack trace. */
function assertOneLineError(r: CliResult, message: RegExp, code?: number): void {
  const err = r.stderr.trim()
  assert.notEqual(r.code, 0, `exit 0: ${r.stdout}`)
  if (code !== undefined) assert.equal(r.code, code, err)
  assert.equal(err.split('\n').length, 1, err)
  assert.match(err, /^error: /)
  assert.match(err, message)
  assert.doesNotMatch(r.stderr, STACK_LINE)
}

describe('cli: send, inbox, contacts, peers and resolve against a running daemon', function () {
  this.timeout(180_000)
  let root: ReturnType<typeof tempRoot>
  let a: LocalNode
  let b: LocalNode
  let idC: string
  const group = new ProcessGroup()

  const parley = (args: string[], timeoutMs = 60_000) => group.run([...args, '--home', a.home], { timeoutMs })

  afterEach(async () => {
    await group.killAll()
  })

  before(async () => {
    root = tempRoot('parley-cli-net-')
    await Promise.all([makeHome(join(root.path, 'a')), makeHome(join(root.path, 'b'), 'Bob')])
    b = await startLocalNode({ home: join(root.path, 'b') })
    a = await startLocalNode({ home: join(root.path, 'a'), bootstrap: b.addresses })
    // C publishes its profile, then goes offline for good: a recipient A knows but cannot reach
    idC = await makeHome(join(root.path, 'c'))
    const c = await startLocalNode({ home: join(root.path, 'c'), bootstrap: b.addresses })
    await waitFor('A to resolve B', async () => (await a.call('GET', `/v1/peers/${b.peerId}`)).status === 200)
    await waitFor('B to resolve A', async () => (await b.call('GET', `/v1/peers/${a.peerId}`)).status === 200)
    await waitFor('A to resolve C', async () => (await a.call('GET', `/v1/peers/${idC}`)).status === 200)
    await c.stop()
  })

  after(async () => {
    await a?.stop()
    await b?.stop()
    root?.cleanup()
  })

  it('send --wait exits 0 once the recipient acked (JSON and plain forms)', async () => {
    const [json, plain] = await Promise.all([
      parley(['send', b.peerId, 'hello with json', '--wait', '--timeout', '30', '--json']),
      parley(['send', b.peerId, 'hello plain', '--wait', '--timeout', '30'])
    ])
    assert.equal(json.code, 0, json.stderr)
    const reply = JSON.parse(json.stdout)
    assert.match(reply.id, /^[0-9a-f]{32}$/)
    assert.equal(reply.status, 'sent')
    assert.equal(reply.to, b.peerId)
    assert.equal(plain.code, 0, plain.stderr)
    assert.match(plain.stdout, /^[0-9a-f]{32}\n$/)
    // acked means committed on the other side
    for (const id of [reply.id, plain.stdout.trim()]) {
      assert.equal((await a.call('GET', `/v1/messages/${id}`)).json.status, 'sent')
      assert.equal((await b.call('GET', `/v1/messages/${id}`)).json.direction, 'in')
    }
  })

  it('send --wait exits non-zero on timeout when the recipient is offline; the message stays queued', async () => {
    const started = Date.now()
    const r = await parley(['send', idC, 'are you there?', '--wait', '--timeout', '2'])
    const took = Date.now() - started
    assertOneLineError(r, /still queued|no ack/, 1)
    assert.ok(took >= 2_000, `gave up after ${took} ms`)
    assert.ok(took < 30_000, `took ${took} ms`)
    const id = /message ([0-9a-f]{32})/.exec(r.stderr)?.[1]
    assert.ok(id, r.stderr)
    assert.equal((await a.call('GET', `/v1/messages/${id}`)).json.status, 'queued')
  })

  it('send without --wait prints the id at once, even for an offline recipient', async () => {
    const r = await parley(['send', idC, 'later is fine', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const reply = JSON.parse(r.stdout)
    assert.equal(reply.status, 'queued')
    assert.equal(reply.to, idC)
  })

  it('inbox --json prints an array of {id, from, to, text, direction, status, createdAt, receivedAt}', async () => {
    const incoming = await b.call('POST', '/v1/messages', { body: { to: a.peerId, text: 'from Bob' } })
    assert.equal(incoming.status, 202)
    await waitFor(
      'B → A to arrive',
      async () => (await a.call('GET', `/v1/messages/${incoming.json.id}`)).status === 200
    )

    const r = await parley(['inbox', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const list = JSON.parse(r.stdout) as MessageView[]
    assert.ok(Array.isArray(list) && list.length >= 3)
    for (const m of list) {
      for (const f of ['id', 'from', 'to', 'text', 'direction', 'status', 'createdAt', 'receivedAt'])
        assert.ok(f in m, `${f} missing: ${JSON.stringify(m)}`)
      assert.match(m.id, /^[0-9a-f]{32}$/)
      assert.ok(m.direction === 'in' || m.direction === 'out')
      assert.ok(!Number.isNaN(Date.parse(m.createdAt)))
      if (m.direction === 'out') {
        assert.equal(m.from, a.peerId)
        assert.ok(['queued', 'sent', 'failed'].includes(m.status), m.status)
        assert.equal(m.receivedAt, null)
      } else {
        assert.equal(m.to, a.peerId)
        assert.ok(!Number.isNaN(Date.parse(m.receivedAt!)))
      }
    }
    const mine = list.find((m) => m.id === incoming.json.id)
    assert.equal(mine?.direction, 'in')
    assert.equal(mine?.from, b.peerId)
    assert.equal(mine?.text, 'from Bob')
    // newest first
    for (let i = 1; i < list.length; i++) assert.ok(list[i - 1]!.createdAt >= list[i]!.createdAt)

    const [limited, fromB, text] = await Promise.all([
      parley(['inbox', '--json', '--limit', '1']),
      parley(['inbox', '--json', '--from', b.peerId]),
      parley(['inbox'])
    ])
    assert.equal(JSON.parse(limited.stdout).length, 1)
    const onlyB = JSON.parse(fromB.stdout) as MessageView[]
    assert.ok(onlyB.length >= 3)
    for (const m of onlyB) assert.ok(m.from === b.peerId || m.to === b.peerId)
    assert.equal(text.code, 0)
    assert.match(text.stdout, /→ you: from Bob/)
    assert.match(text.stdout, /\[sent\]/)
    assert.match(text.stdout, /\[queued\]/)
  })

  it('contacts add, list, send by name, inbox --from NAME, resolve NAME, remove', async () => {
    const add = await parley(['contacts', 'add', 'bob', b.peerId, '--json'])
    assert.equal(add.code, 0, add.stderr)
    assert.equal(JSON.parse(add.stdout).peerId, b.peerId)

    const [list, send, resolve] = await Promise.all([
      parley(['contacts', 'list', '--json']),
      parley(['send', 'bob', 'by name', '--wait', '--timeout', '30', '--json']),
      parley(['resolve', 'bob', '--json'])
    ])
    assert.deepEqual(
      JSON.parse(list.stdout).map((c: { name: string; peerId: string }) => [c.name, c.peerId]),
      [['bob', b.peerId]]
    )
    assert.equal(send.code, 0, send.stderr)
    assert.equal(JSON.parse(send.stdout).to, b.peerId)
    assert.equal(resolve.code, 0, resolve.stderr)
    const profile = JSON.parse(resolve.stdout)
    assert.equal(profile.peerId, b.peerId)
    assert.equal(profile.name, 'Bob')

    const [fromBob, plainList, plainInbox] = await Promise.all([
      parley(['inbox', '--from', 'bob', '--json']),
      parley(['contacts', 'list']),
      parley(['inbox', '--from', 'bob'])
    ])
    assert.ok(JSON.parse(fromBob.stdout).some((m: MessageView) => m.text === 'by name'))
    assert.match(plainList.stdout, new RegExp(`^bob\\t${b.peerId}$`, 'm'))
    assert.match(plainInbox.stdout, /you → bob: by name/)

    const dup = await parley(['contacts', 'add', 'Bob', STRANGER])
    assertOneLineError(dup, /exists already/, 1)
    const remove = await parley(['contacts', 'remove', 'bob'])
    assert.equal(remove.code, 0, remove.stderr)
    assert.match(remove.stdout, /removed bob/)
    assertOneLineError(await parley(['contacts', 'remove', 'bob']), /no contact named "bob"/, 1)
  })

  it('peers and resolve', async () => {
    const [peers, resolve, plain] = await Promise.all([
      parley(['peers', '--json']),
      parley(['resolve', b.peerId, '--json', '--fresh']),
      parley(['resolve', b.peerId])
    ])
    assert.equal(peers.code, 0, peers.stderr)
    assert.ok(JSON.parse(peers.stdout).some((p: { peerId: string }) => p.peerId === b.peerId))
    assert.equal(resolve.code, 0, resolve.stderr)
    const profile = JSON.parse(resolve.stdout)
    assert.equal(profile.peerId, b.peerId)
    assert.ok(profile.addresses.length > 0)
    assert.match(plain.stdout, new RegExp(`^PeerId\\s+${b.peerId}$`, 'm'))
  })

  it('bad input: a one-line error and a non-zero exit, never a stack trace', async () => {
    const cases: Array<[string[], RegExp, number?]> = [
      [['send', '12D3KooWxyz', 'hi'], /not a valid PeerId/, 1],
      [['send', 'nobody', 'hi'], /no contact named "nobody"/, 1],
      [['send', a.peerId, 'hi'], /yourself/, 1],
      [['resolve', `${b.peerId}0`], /not a valid PeerId/, 1],
      [['resolve', STRANGER], /no profile/, 1],
      [['inbox', '--from', 'nobody'], /no contact named "nobody"/, 1],
      [['contacts', 'add', 'x', 'not-a-peer'], /not a valid PeerId/, 1],
      [['inbox', '--limit', '0'], /--limit/, 2],
      [['send', b.peerId], /missing required argument/, 2]
    ]
    const results = await Promise.all(cases.map(([args]) => parley(args)))
    cases.forEach(([args, message, code], i) => {
      const r = results[i]!
      assert.notEqual(r.code, 0, `${args.join(' ')}: ${r.stdout}`)
      if (code !== undefined) assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, message, args.join(' '))
      assert.doesNotMatch(r.stderr, STACK_LINE, args.join(' '))
      assert.ok(r.stderr.trim().split('\n').length <= 2, `${args.join(' ')}: ${r.stderr}`)
    })
    // errors from the daemon (exit 1) are exactly one line; usage errors may add a hint line
    cases.forEach(([, message, code], i) => {
      if (code === 1) assertOneLineError(results[i]!, message)
    })
  })
})

describe('cli: network commands without a running daemon', function () {
  this.timeout(120_000)
  let root: ReturnType<typeof tempRoot>
  const group = new ProcessGroup()
  const runParley = (args: string[]) => group.run(args)

  beforeEach(() => {
    root = tempRoot('parley-cli-nodaemon-')
  })
  afterEach(async () => {
    await group.killAll()
    root.cleanup()
  })

  const commands = (home: string): string[][] => [
    ['send', STRANGER, 'hi', '--wait', '--home', home],
    ['inbox', '--json', '--home', home],
    ['contacts', 'add', 'x', STRANGER, '--home', home],
    ['peers', '--home', home],
    ['resolve', STRANGER, '--home', home]
  ]

  it('an initialised home with no daemon: "not running", one line, exit 1', async () => {
    const home = join(root.path, 'idle')
    await makeHome(home)
    const results = await Promise.all(commands(home).map((args) => runParley(args)))
    for (const r of results) {
      assertOneLineError(r, /the Parley daemon is not running/, 1)
      assert.equal(r.stdout, '')
    }
  })

  it('a daemon.json left behind by a dead daemon, and a home that was never initialised', async () => {
    const home = join(root.path, 'stale')
    await makeHome(home)
    // a port that nothing listens on
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const p = (server.address() as { port: number }).port
        server.close(() => resolve(p))
      })
    })
    writeFileSync(
      join(home, 'daemon.json'),
      JSON.stringify({ peerId: STRANGER, addresses: [], api: `http://127.0.0.1:${port}`, pid: 999_999 })
    )
    const never = join(root.path, 'never-initialised')
    const [stale, missing, bad] = await Promise.all([
      Promise.all(
        commands(home)
          .slice(0, 2)
          .map((args) => runParley(args))
      ),
      Promise.all(
        commands(never)
          .slice(0, 2)
          .map((args) => runParley(args))
      ),
      (() => {
        const junk = join(root.path, 'junk')
        return makeHome(junk).then(() => {
          writeFileSync(join(junk, 'daemon.json'), '{not json')
          return runParley(['inbox', '--home', junk])
        })
      })()
    ])
    for (const r of stale) assertOneLineError(r, /the Parley daemon is not running/, 1)
    for (const r of missing) assertOneLineError(r, /not running|parley init/, 1)
    assertOneLineError(bad, /not running/, 1)
  })
})

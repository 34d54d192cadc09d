/**
 * The network commands against daemons that run in this process: send (--wait, --timeout),
 * inbox --json, contacts, peers, resolve; and the one-line errors for bad input and for a daemon
 * that is not running. What depends on a real process (exit codes, stdout, no stack trace) runs
 * `parley` as a child process; the rest runs the same parser in-process (runCli), which is much
 * cheaper than starting Node for each command.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { runCli } from '../../src/cli/index.ts'
import { peerIdFromPublicKey } from '../../src/identity/index.ts'
import type { MessageView } from '../../src/messenger/index.ts'
import { type CliResult, memoryIo } from '../helpers/cli.ts'
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

/** `parley ARGS` in this process. */
async function inProcess(args: string[]): Promise<CliResult> {
  const io = memoryIo()
  const code = await runCli(args, io)
  return { code, stdout: io.out, stderr: io.err }
}

describe('cli: send, inbox, contacts, peers and resolve against a running daemon', function () {
  this.timeout(180_000)
  let root: ReturnType<typeof tempRoot>
  let a: LocalNode
  let b: LocalNode
  let idC: string
  const group = new ProcessGroup()

  /** As a child process. */
  const parley = (args: string[], timeoutMs = 60_000) => group.run([...args, '--home', a.home], { timeoutMs })
  /** In this process. */
  const cli = (args: string[]) => inProcess([...args, '--home', a.home])

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
      cli(['send', b.peerId, 'hello plain', '--wait', '--timeout', '30'])
    ])
    assert.equal(json.code, 0, json.stderr)
    assert.equal(json.stderr, '')
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
    assert.equal(r.stdout, '')
    assert.ok(took >= 2_000, `gave up after ${took} ms`)
    assert.ok(took < 30_000, `took ${took} ms`)
    const id = /message ([0-9a-f]{32})/.exec(r.stderr)?.[1]
    assert.ok(id, r.stderr)
    assert.equal((await a.call('GET', `/v1/messages/${id}`)).json.status, 'queued')
  })

  it('send without --wait prints the id at once, even for an offline recipient', async () => {
    const r = await cli(['send', idC, 'later is fine', '--json'])
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
    assert.equal(r.stderr, '')
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

    const limited = await cli(['inbox', '--json', '--limit', '1'])
    assert.equal(JSON.parse(limited.stdout).length, 1)
    const onlyB = JSON.parse((await cli(['inbox', '--json', '--from', b.peerId])).stdout) as MessageView[]
    assert.ok(onlyB.length >= 3)
    for (const m of onlyB) assert.ok(m.from === b.peerId || m.to === b.peerId)
    const text = await cli(['inbox'])
    assert.equal(text.code, 0)
    assert.match(text.stdout, /→ you: from Bob/)
    assert.match(text.stdout, /\[sent\]/)
    assert.match(text.stdout, /\[queued\]/)
  })

  it('contacts add, list, send by name, inbox --from NAME, resolve NAME, remove', async () => {
    const add = await cli(['contacts', 'add', 'bob', b.peerId, '--json'])
    assert.equal(add.code, 0, add.stderr)
    assert.equal(JSON.parse(add.stdout).peerId, b.peerId)

    const list = await cli(['contacts', 'list', '--json'])
    assert.deepEqual(
      JSON.parse(list.stdout).map((c: { name: string; peerId: string }) => [c.name, c.peerId]),
      [['bob', b.peerId]]
    )
    const send = await cli(['send', 'bob', 'by name', '--wait', '--timeout', '30', '--json'])
    assert.equal(send.code, 0, send.stderr)
    assert.equal(JSON.parse(send.stdout).to, b.peerId)
    const resolve = await cli(['resolve', 'bob', '--json'])
    assert.equal(resolve.code, 0, resolve.stderr)
    const profile = JSON.parse(resolve.stdout)
    assert.equal(profile.peerId, b.peerId)
    assert.equal(profile.name, 'Bob')

    assert.ok(
      JSON.parse((await cli(['inbox', '--from', 'bob', '--json'])).stdout).some(
        (m: MessageView) => m.text === 'by name'
      )
    )
    assert.match((await cli(['contacts', 'list'])).stdout, new RegExp(`^bob\\t${b.peerId}$`, 'm'))
    assert.match((await cli(['inbox', '--from', 'bob'])).stdout, /you → bob: by name/)

    assertOneLineError(await cli(['contacts', 'add', 'Bob', STRANGER]), /exists already/, 1)
    assertOneLineError(await cli(['contacts', 'add', 'bobby', b.peerId]), /already the contact/, 1)
    const remove = await cli(['contacts', 'remove', 'bob'])
    assert.equal(remove.code, 0, remove.stderr)
    assert.match(remove.stdout, /removed bob/)
    assertOneLineError(await cli(['contacts', 'remove', 'bob']), /no contact named "bob"/, 1)
  })

  it('peers and resolve', async () => {
    const peers = await cli(['peers', '--json'])
    assert.equal(peers.code, 0, peers.stderr)
    assert.ok(JSON.parse(peers.stdout).some((p: { peerId: string }) => p.peerId === b.peerId))
    const resolve = await cli(['resolve', b.peerId, '--json', '--fresh'])
    assert.equal(resolve.code, 0, resolve.stderr)
    const profile = JSON.parse(resolve.stdout)
    assert.equal(profile.peerId, b.peerId)
    assert.ok(profile.addresses.length > 0)
    assert.match((await cli(['resolve', b.peerId])).stdout, new RegExp(`^PeerId\\s+${b.peerId}$`, 'm'))
  })

  it('bad input: a one-line error and a non-zero exit, never a stack trace', async () => {
    const cases: Array<[string[], RegExp, number]> = [
      [['send', '12D3KooWxyz', 'hi'], /not a valid PeerId/, 1],
      [['send', 'nobody', 'hi'], /no contact named "nobody"/, 1],
      [['send', a.peerId, 'hi'], /yourself/, 1],
      [['resolve', `${b.peerId}0`], /not a valid PeerId/, 1],
      [['resolve', 'nobody'], /no contact named "nobody"/, 1],
      [['resolve', STRANGER], /no profile/, 1],
      [['inbox', '--from', 'nobody'], /no contact named "nobody"/, 1],
      [['inbox', '--from', '12D3KooWxyz'], /not a valid PeerId/, 1],
      [['contacts', 'add', 'x', 'not-a-peer'], /not a valid PeerId/, 1],
      [['contacts', 'add', STRANGER, STRANGER], /PeerId/, 1],
      [['inbox', '--limit', '0'], /--limit/, 2],
      [['inbox', '--limit', 'many'], /--limit/, 2],
      [['send', b.peerId, 'hi', '--wait', '--timeout', '0'], /--timeout/, 2],
      [['send', b.peerId], /missing required argument/, 2]
    ]
    // the commonest mistakes as real processes, the rest in-process
    const [badPeer, unknownContact, usage] = await Promise.all([
      parley(cases[0]![0]),
      parley(cases[1]![0]),
      parley(cases[10]![0])
    ])
    assertOneLineError(badPeer, cases[0]![1], 1)
    assertOneLineError(unknownContact, cases[1]![1], 1)
    assert.equal(usage.code, 2)
    assert.match(usage.stderr, /--limit/)
    assert.doesNotMatch(usage.stderr, STACK_LINE)
    for (const [args, message, code] of cases) {
      const r = await cli(args)
      const what = `${args.join(' ')}: ${r.code} ${r.stderr}`
      assert.equal(r.code, code, what)
      assert.match(r.stderr, message, what)
      assert.doesNotMatch(r.stderr, STACK_LINE, what)
      // errors from the daemon are exactly one line; usage errors may add a hint line
      if (code === 1) assertOneLineError(r, message, 1)
      else assert.ok(r.stderr.trim().split('\n').length <= 2, what)
    }
  })
})

describe('cli: network commands without a running daemon', function () {
  this.timeout(120_000)
  let root: ReturnType<typeof tempRoot>
  const group = new ProcessGroup()

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
    ['send', STRANGER, 'hi', '--home', home],
    ['contacts', 'list', '--home', home],
    ['contacts', 'add', 'x', STRANGER, '--home', home],
    ['contacts', 'remove', 'x', '--home', home],
    ['peers', '--home', home],
    ['resolve', STRANGER, '--home', home]
  ]

  it('an initialised home with no daemon: "not running", one line, exit 1', async () => {
    const home = join(root.path, 'idle')
    await makeHome(home)
    const [first, second, ...rest] = commands(home)
    const children = await Promise.all([group.run(first!), group.run(second!)])
    const inside = []
    for (const args of rest) inside.push(await inProcess(args))
    for (const r of [...children, ...inside]) {
      assertOneLineError(r, /the Parley daemon is not running/, 1)
      assert.equal(r.stdout, '')
    }
  })

  it('a daemon.json left behind by a dead daemon, a damaged one, and a home that was never initialised', async () => {
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
    assertOneLineError(await group.run(commands(home)[1]!), /the Parley daemon is not running/, 1)
    for (const args of commands(home)) assertOneLineError(await inProcess(args), /the Parley daemon is not running/, 1)

    const junk = join(root.path, 'junk')
    await makeHome(junk)
    writeFileSync(join(junk, 'daemon.json'), '{not json')
    assertOneLineError(await inProcess(['inbox', '--home', junk]), /not running/, 1)

    const never = join(root.path, 'never-initialised')
    assertOneLineError(await group.run(commands(never)[0]!), /not running|parley init/, 1)
    for (const args of commands(never)) assertOneLineError(await inProcess(args), /not running|parley init/, 1)
  })
})

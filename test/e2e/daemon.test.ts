/**
 * `parley start` as a real child process: daemon.json, one daemon per home, clean shutdown on
 * SIGINT and SIGTERM.
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { httpCall, makeHome, ProcessGroup, stopProcess, tempRoot } from '../helpers/daemons.ts'

const STACK_LINE = /^\s+at .+:\d+/m

describe('e2e: parley start (child processes)', function () {
  this.timeout(180_000)
  const group = new ProcessGroup()
  let root: ReturnType<typeof tempRoot>

  beforeEach(() => {
    root = tempRoot('parley-e2e-daemon-')
  })

  afterEach(async () => {
    await group.killAll()
    root.cleanup()
  })

  it('writes daemon.json {peerId, addresses, api, pid}, refuses a second daemon on the home, stops on SIGTERM', async () => {
    const home = join(root.path, 'node')
    const peerId = await makeHome(home)
    const d = await group.startDaemon({ home })
    assert.equal(d.peerId, peerId)

    const file = join(home, 'daemon.json')
    assert.equal(statSync(file).mode & 0o777, 0o600)
    const info = JSON.parse(readFileSync(file, 'utf8'))
    assert.deepEqual(Object.keys(info).sort(), ['addresses', 'api', 'peerId', 'pid'])
    assert.equal(info.peerId, peerId)
    assert.equal(info.pid, d.pid)
    assert.equal(info.api, d.api)
    assert.match(info.api, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.deepEqual(info.addresses, d.addresses)
    assert.ok(info.addresses.length > 0)
    for (const addr of info.addresses as string[]) {
      // a full multiaddr: transport, port and our PeerId
      assert.match(addr, /^\/ip4\/127\.0\.0\.1\/tcp\/[1-9]\d*\/p2p\/12D3KooW/)
      const components = multiaddr(addr).getComponents()
      assert.equal(components.at(-1)?.name, 'p2p')
      assert.equal(components.at(-1)?.value, peerId)
    }
    const id = await httpCall(info.api, d.token, 'GET', '/v1/id')
    assert.equal(id.status, 200)
    assert.equal(id.json.peerId, peerId)

    // a second daemon on the same home: one line, non-zero, and the first one is untouched
    const second = group.spawn(['start', '--home', home, '--api', '127.0.0.1:0', '--no-mdns'])
    const exit = await second.exited
    assert.notEqual(exit.code, 0)
    assert.equal(exit.code, 1)
    const err = second.output.stderr.trim()
    assert.equal(err.split('\n').length, 1, err)
    assert.match(err, /^error: .*already running/)
    assert.ok(err.includes(String(d.pid)), err)
    assert.doesNotMatch(second.output.stderr, STACK_LINE)
    assert.doesNotMatch(second.output.stdout, /ready/)
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), info)
    assert.equal((await httpCall(info.api, d.token, 'GET', '/v1/id')).status, 200)

    // SIGTERM: exit 0, daemon.json removed, API closed
    const stopped = await stopProcess(d, 'SIGTERM')
    assert.deepEqual(stopped, { code: 0, signal: null }, d.stderr)
    assert.match(d.stdout, /^SIGTERM: stopping$/m)
    assert.match(d.stdout, /^stopped$/m)
    assert.equal(existsSync(file), false)
    await assert.rejects(fetch(`${info.api}/v1/id`))
    assert.doesNotMatch(d.stderr, STACK_LINE)
  })

  it('stops cleanly on SIGINT, and the home can be started again with the same identity', async () => {
    const home = join(root.path, 'node')
    const peerId = await makeHome(home)
    const first = await group.startDaemon({ home })
    const stopped = await stopProcess(first, 'SIGINT')
    assert.deepEqual(stopped, { code: 0, signal: null }, first.stderr)
    assert.match(first.stdout, /^SIGINT: stopping$/m)
    assert.match(first.stdout, /^stopped$/m)
    assert.equal(existsSync(join(home, 'daemon.json')), false)
    assert.doesNotMatch(first.stderr, STACK_LINE)
    assert.doesNotMatch(first.stderr, /error/i)

    const again = await group.startDaemon({ home })
    assert.equal(again.peerId, peerId)
    assert.equal(JSON.parse(readFileSync(join(home, 'daemon.json'), 'utf8')).pid, again.pid)
    assert.deepEqual(await stopProcess(again, 'SIGTERM'), { code: 0, signal: null })
    assert.equal(existsSync(join(home, 'daemon.json')), false)
  })

  it('bad start options and an uninitialised home: a one-line error and a non-zero exit', async () => {
    const home = join(root.path, 'node')
    await makeHome(home)
    const cases: Array<{ args: string[]; message: RegExp }> = [
      { args: ['start', '--home', join(root.path, 'nothing'), '--api', '127.0.0.1:0'], message: /parley init/ },
      { args: ['start', '--home', home, '--api', '0.0.0.0:0', '--no-mdns'], message: /loopback/ },
      { args: ['start', '--home', home, '--api', 'nonsense', '--no-mdns'], message: /HOST:PORT/ },
      {
        args: ['start', '--home', home, '--api', '127.0.0.1:0', '--no-mdns', '--listen', 'not-a-multiaddr'],
        message: /./
      }
    ]
    const runs = cases.map((c) => ({ c, p: group.spawn(c.args) }))
    for (const { c, p } of runs) {
      const exit = await p.exited
      const err = p.output.stderr.trim()
      assert.ok(exit.code !== null && exit.code !== 0, `${c.args.join(' ')}: exit ${exit.code}`)
      assert.equal(err.split('\n').length, 1, `${c.args.join(' ')}: ${err}`)
      assert.match(err, /^error: /)
      assert.match(err, c.message)
      assert.doesNotMatch(p.output.stderr, STACK_LINE)
    }
    // none of them left a daemon.json or a lock behind: a real start works
    assert.equal(existsSync(join(home, 'daemon.json')), false)
    const d = await group.startDaemon({ home })
    assert.deepEqual(await stopProcess(d, 'SIGTERM'), { code: 0, signal: null })
  })
})

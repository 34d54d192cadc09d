/**
 * Three `parley start` child processes with separate homes. A and C know only B (their bootstrap);
 * A sends to C by PeerId through the CLI, C goes offline and comes back (issue #3, Tests).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { MessageView } from '../../src/messenger/index.ts'
import { type DaemonProcess, makeHome, ProcessGroup, stopProcess, tempRoot, waitFor } from '../helpers/daemons.ts'

const INBOX_FIELDS = ['createdAt', 'direction', 'from', 'id', 'receivedAt', 'status', 'text', 'to']

async function inbox(group: ProcessGroup, home: string): Promise<MessageView[]> {
  const r = await group.run(['inbox', '--home', home, '--json', '--limit', '1000'])
  assert.equal(r.code, 0, r.stderr)
  const list = JSON.parse(r.stdout) as MessageView[]
  assert.ok(Array.isArray(list))
  for (const m of list) for (const f of INBOX_FIELDS) assert.ok(f in m, `${f} missing in ${JSON.stringify(m)}`)
  return list
}

describe('e2e: three parley start processes, A and C bootstrapped through B only', function () {
  this.timeout(240_000)
  const group = new ProcessGroup()
  let root: ReturnType<typeof tempRoot>

  beforeEach(() => {
    root = tempRoot('parley-e2e-three-')
  })

  afterEach(async () => {
    await group.killAll()
    root.cleanup()
  })

  it('A sends to C by PeerId: C has it once, A sees sent; C restarts and gets what A sent while it was away', async () => {
    const homes = { a: join(root.path, 'a'), b: join(root.path, 'b'), c: join(root.path, 'c') }
    const [idA, idB, idC] = await Promise.all([makeHome(homes.a), makeHome(homes.b), makeHome(homes.c)])

    const b = await group.startDaemon({ home: homes.b })
    assert.equal(b.peerId, idB)
    // B's address as other nodes would learn it: from its daemon.json (the same as its "listening" line)
    const bAddr = JSON.parse(readFileSync(join(homes.b, 'daemon.json'), 'utf8')).addresses[0] as string
    assert.equal(bAddr, b.addresses[0])
    assert.ok(bAddr.endsWith(`/p2p/${idB}`))
    let [a, c] = await Promise.all([
      group.startDaemon({ home: homes.a, bootstrap: [bAddr] }),
      group.startDaemon({ home: homes.c, bootstrap: [bAddr] })
    ])
    assert.equal(a.peerId, idA)
    assert.equal(c.peerId, idC)

    // C's profile reaches A through B's DHT
    await waitFor('A to resolve C', async () => (await a.call('GET', `/v1/peers/${idC}`)).status === 200, 60_000)

    const send = await group.run(['send', idC, 'hello C', '--home', homes.a, '--wait', '--timeout', '60', '--json'], {
      timeoutMs: 90_000
    })
    assert.equal(send.code, 0, send.stderr)
    const first = JSON.parse(send.stdout) as { id: string; status: string; to: string }
    assert.match(first.id, /^[0-9a-f]{32}$/)
    assert.equal(first.status, 'sent')
    assert.equal(first.to, idC)

    const [inboxC, inboxA] = await Promise.all([inbox(group, homes.c), inbox(group, homes.a)])
    const atC = inboxC.filter((m) => m.id === first.id)
    assert.equal(atC.length, 1, JSON.stringify(inboxC))
    assert.equal(atC[0]!.from, idA)
    assert.equal(atC[0]!.to, idC)
    assert.equal(atC[0]!.text, 'hello C')
    assert.equal(atC[0]!.direction, 'in')
    assert.equal(atC[0]!.status, 'received')
    const atA = inboxA.filter((m) => m.id === first.id)
    assert.equal(atA.length, 1)
    assert.equal(atA[0]!.direction, 'out')
    assert.equal(atA[0]!.status, 'sent')
    assert.equal(atA[0]!.receivedAt, null)

    // C goes away; A sends anyway
    assert.deepEqual(await stopProcess(c, 'SIGTERM'), { code: 0, signal: null }, c.stderr)
    const offline = await group.run(['send', idC, 'while you were away', '--home', homes.a, '--json'])
    assert.equal(offline.code, 0, offline.stderr)
    const second = JSON.parse(offline.stdout) as { id: string; status: string }
    assert.equal(second.status, 'queued')
    assert.equal((await a.call('GET', `/v1/messages/${second.id}`)).json.status, 'queued')

    // C comes back on the same home (on a new port) and still knows only B
    c = await group.startDaemon({ home: homes.c, bootstrap: [bAddr] })
    assert.equal(c.peerId, idC)
    const restarted: DaemonProcess = c
    await waitFor(
      'the queued message to reach C',
      async () => (await restarted.call('GET', `/v1/messages/${second.id}`)).status === 200,
      120_000,
      250
    )
    await waitFor(
      "A's copy to turn sent",
      async () => (await a.call('GET', `/v1/messages/${second.id}`)).json?.status === 'sent',
      60_000,
      250
    )

    const [finalC, finalA] = await Promise.all([inbox(group, homes.c), inbox(group, homes.a)])
    for (const { id, text } of [
      { id: first.id, text: 'hello C' },
      { id: second.id, text: 'while you were away' }
    ]) {
      const copies = finalC.filter((m) => m.id === id)
      assert.equal(copies.length, 1, `${id} at C: ${JSON.stringify(finalC)}`)
      assert.equal(copies[0]!.text, text)
      assert.equal(copies[0]!.from, idA)
      assert.equal(finalA.find((m) => m.id === id)?.status, 'sent')
    }
    assert.equal(finalC.filter((m) => m.direction === 'in').length, 2)
    assert.equal(new Set(finalC.map((m) => m.id)).size, finalC.length)

    for (const p of [a, b, c]) assert.deepEqual(await stopProcess(p, 'SIGTERM'), { code: 0, signal: null })
  })
})

/**
 * kill -9 of a `parley start` child process in the middle of a burst of sends and receives, then a
 * restart (issue #3 Tests; notes/reliability.md T6, T3.1): the store passes its integrity check,
 * no message the other side saw acked is lost, nothing is duplicated, and what the killed node had
 * queued is resent and arrives exactly once.
 *
 * The victim is a real child process; the survivor runs in this process, so the test can read its
 * store and events directly. PARLEY_CRASH_ROUNDS sets the kill/restart rounds per case (default 1).
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { Message } from '../../src/store/index.ts'
import {
  allMessages,
  type DaemonProcess,
  httpCall,
  type LocalNode,
  makeHome,
  ProcessGroup,
  startLocalNode,
  stopProcess,
  tcpPort,
  tempRoot,
  waitFor,
  withStore
} from '../helpers/daemons.ts'

const ROUNDS = Number(process.env.PARLEY_CRASH_ROUNDS ?? 1)
/** Messages in the burst towards the side under test, and the other way. */
const BURST = 120
const BACKGROUND = 30

function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1))
}

function ids(messages: Message[]): Set<string> {
  return new Set(messages.map((m) => m.id))
}

function assertSubset(part: Iterable<string>, whole: Set<string>, what: string): void {
  const missing = [...part].filter((id) => !whole.has(id))
  assert.deepEqual(missing, [], `${what}: ${missing.length} missing`)
}

describe('e2e: kill -9 in the middle of a burst, then restart', function () {
  this.timeout(300_000 * Math.max(1, ROUNDS))
  const group = new ProcessGroup()
  let root: ReturnType<typeof tempRoot>
  let survivor: LocalNode | undefined

  beforeEach(() => {
    root = tempRoot('parley-e2e-crash-')
  })

  afterEach(async () => {
    await group.killAll()
    await survivor?.stop()
    survivor = undefined
    root.cleanup()
  })

  /**
   * The victim is the child process to kill. Role 'receiver': the survivor bursts BURST messages at
   * it and it is killed once the survivor has seen K acks. Role 'sender': it bursts BURST messages at
   * the survivor (through its API) and is killed once the survivor has received P of them. Either way
   * the other side sends BACKGROUND messages at the same time, so the victim sends and receives.
   */
  async function crashRounds(role: 'receiver' | 'sender'): Promise<void> {
    const homeV = join(root.path, 'victim')
    const homeS = join(root.path, 'survivor')
    const [idV, idS] = await Promise.all([makeHome(homeV), makeHome(homeS)])
    let v: DaemonProcess = await group.startDaemon({ home: homeV })
    const port = tcpPort(v.addresses[0]!)
    const s = await startLocalNode({ home: homeS, bootstrap: v.addresses })
    survivor = s
    await waitFor(
      'the survivor to resolve the victim',
      async () => (await s.call('GET', `/v1/peers/${idV}`)).status === 200
    )
    await waitFor(
      'the victim to resolve the survivor',
      async () => (await v.call('GET', `/v1/peers/${idS}`)).status === 200
    )

    const messenger = s.daemon.messenger
    const sStore = s.daemon.store
    /** Everything the victim's API answered 202 for, over all rounds. */
    const committedByV = new Set<string>()
    const sentByS = new Set<string>()

    for (let round = 1; round <= ROUNDS; round++) {
      const threshold = role === 'receiver' ? randomInt(5, 40) : randomInt(10, 60)
      const label = `round ${round} (${role} killed at ${threshold})`
      let killed = false
      const kill = (): void => {
        if (killed) return
        killed = true
        v.child.kill('SIGKILL')
      }

      // the survivor's acks from the victim, as they happen
      const ackedByV = new Set<string>()
      const onStatus = (evt: CustomEvent<{ id: string; to: string; status: string }>): void => {
        if (evt.detail.to !== idV || evt.detail.status !== 'sent') return
        ackedByV.add(evt.detail.id)
        if (role === 'receiver' && ackedByV.size >= threshold) kill()
      }
      messenger.addEventListener('message-status', onStatus)
      // the survivor's receipts from the victim in this round
      let receivedThisRound = 0
      const onReceived = (evt: CustomEvent<{ message: { from: string; text: string | null } }>): void => {
        const { from, text } = evt.detail.message
        if (from !== idV || !text?.startsWith(`${label}:`)) return
        receivedThisRound++
        if (role === 'sender' && receivedThisRound >= threshold) kill()
      }
      messenger.addEventListener('message-received', onReceived)

      // the survivor's side of the traffic
      const sCount = role === 'receiver' ? BURST : BACKGROUND
      const survivorSends = (async () => {
        for (let i = 0; i < sCount && !killed; i++) {
          const r = await messenger.sendText(idV, `${label}: survivor ${i}`)
          sentByS.add(r.id)
        }
      })()
      // the victim's side, through its HTTP API, until it dies
      const vCount = role === 'sender' ? BURST : BACKGROUND
      const victim = v
      // a few requests at a time, so that the victim commits faster than the survivor (20 messages/s
      // per peer) takes them, and has a queue when it dies
      let next = 0
      const victimSends = Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < vCount && !killed) {
            const i = next++
            let r: Awaited<ReturnType<typeof httpCall>>
            try {
              r = await httpCall(victim.api, victim.token, 'POST', '/v1/messages', {
                body: { to: idS, text: `${label}: victim ${i}` }
              })
            } catch (err) {
              if (killed) return
              throw err
            }
            assert.equal(r.status, 202, r.text)
            committedByV.add(r.json.id)
          }
        })
      )

      await Promise.all([survivorSends, victimSends])
      // the receiver may still be working through the burst when every send is committed
      if (!killed) await waitFor(`${label}: the kill`, () => killed, 60_000, 20)
      const exit = await v.exited
      assert.equal(exit.signal, 'SIGKILL', label)
      messenger.removeEventListener('message-status', onStatus)
      messenger.removeEventListener('message-received', onReceived)

      // what the survivor has, now that the victim is gone
      const fromVAtS = ids(allMessages(sStore, idV).filter((m) => m.direction === 'in'))
      const sentAtKill = new Set(
        allMessages(sStore, idV)
          .filter((m) => m.direction === 'out' && m.status === 'sent')
          .map((m) => m.id)
      )
      assertSubset(ackedByV, sentAtKill, `${label}: acks seen as events are marked sent`)
      if (role === 'receiver') assert.ok(sentAtKill.size < sentByS.size, `${label}: killed after the burst ended`)

      // the victim's store, opened cold after the kill
      withStore(homeV, (store) => {
        assert.equal(store.integrityCheck(), 'ok', label)
        const all = allMessages(store)
        assert.equal(new Set(all.map((m) => m.id)).size, all.length, `${label}: duplicate rows`)
        const incoming = ids(all.filter((m) => m.direction === 'in'))
        const outgoing = all.filter((m) => m.direction === 'out')
        // every message the survivor saw acked was committed by the victim before its ack
        assertSubset(sentAtKill, incoming, `${label}: acked messages in the victim's store`)
        // every send its API accepted was committed before the answer
        assertSubset(committedByV, ids(outgoing), `${label}: accepted sends in the victim's store`)
        // and the survivor holds nothing from the victim that the victim did not commit
        assertSubset(fromVAtS, ids(outgoing), `${label}: the survivor's copies`)
        if (role === 'sender') {
          // the kill came mid-burst: some sends were still waiting for their ack
          assert.ok(
            outgoing.some((m) => m.status === 'queued'),
            `${label}: nothing queued at the kill, so the resend path went untested`
          )
        }
      })

      if (round === 1) {
        // a stale daemon.json after a kill: the CLI says the daemon is not running, in one line
        const r = await group.run(['inbox', '--home', homeV])
        assert.equal(r.code, 1)
        assert.match(r.stderr.trim(), /^error: the Parley daemon is not running/)
        assert.equal(r.stderr.trim().split('\n').length, 1)
      }

      // restart on the same port, joining through the survivor
      v = await group.startDaemon({
        home: homeV,
        listen: [`/ip4/127.0.0.1/tcp/${port}`],
        bootstrap: [s.addresses[0]!]
      })
      assert.equal(v.peerId, idV)
      const restarted = v

      // everything queued on either side gets through
      await waitFor(
        `${label}: the survivor's messages to be acked`,
        () => allMessages(sStore, idV).every((m) => m.direction === 'in' || m.status === 'sent'),
        120_000,
        200
      )
      await waitFor(
        `${label}: the victim's messages to be acked`,
        async () => {
          const r = await restarted.call('GET', `/v1/messages?peer=${idS}&limit=1000`)
          return r.status === 200 && r.json.messages.every((m: { status: string }) => m.status !== 'queued')
        },
        120_000,
        250
      )
      const list = (await restarted.call('GET', `/v1/messages?peer=${idS}&limit=1000`)).json.messages as Array<{
        id: string
        direction: string
        status: string
      }>
      const vIn = list.filter((m) => m.direction === 'in')
      const vOut = list.filter((m) => m.direction === 'out')
      const sAll = allMessages(sStore, idV)
      const sIn = sAll.filter((m) => m.direction === 'in')
      const sOut = sAll.filter((m) => m.direction === 'out')
      // exactly once, both ways: same ids, same counts, no failures
      assert.deepEqual(new Set(vIn.map((m) => m.id)), new Set(sOut.map((m) => m.id)), label)
      assert.equal(vIn.length, sOut.length, label)
      assert.deepEqual(new Set(sIn.map((m) => m.id)), new Set(vOut.map((m) => m.id)), label)
      assert.equal(sIn.length, vOut.length, label)
      assert.ok(
        vOut.every((m) => m.status === 'sent'),
        label
      )
      assertSubset(committedByV, new Set(sIn.map((m) => m.id)), `${label}: accepted sends delivered`)
      assertSubset(sentByS, new Set(vIn.map((m) => m.id)), `${label}: survivor's sends delivered`)
    }

    // a clean stop, and one last cold look at the victim's store
    assert.deepEqual(await stopProcess(v, 'SIGTERM'), { code: 0, signal: null }, v.stderr)
    withStore(homeV, (store) => {
      assert.equal(store.integrityCheck(), 'ok')
      const all = allMessages(store, idS)
      assert.equal(new Set(all.map((m) => m.id)).size, all.length)
      assert.equal(all.filter((m) => m.direction === 'in').length, sentByS.size)
      assertSubset(committedByV, ids(all.filter((m) => m.direction === 'out')), 'accepted sends, at the end')
    })
    assert.equal(sStore.integrityCheck(), 'ok')
  }

  it('the receiver is killed while the sender bursts at it (and it sends too)', async () => {
    await crashRounds('receiver')
  })

  it('the sender is killed while sending (and receiving); on restart its queued messages arrive exactly once', async () => {
    await crashRounds('sender')
  })
})

/**
 * A first message to a peer dials while the profile lookup still waits for fresher records
 * (connectAhead on the lookup's first record), instead of after it.
 */
import assert from 'node:assert/strict'
import { peerIdFromString } from '@libp2p/peer-id'
import { connectAhead } from '../../src/messenger/dialer.ts'
import { goOnline, type MessengerFleet, messengerFleet, type TestMessenger, waitFor } from '../helpers/p2p.ts'

describe('connecting ahead of a first message', function () {
  this.timeout(60_000)
  let fleet: MessengerFleet
  let a: TestMessenger
  let b: TestMessenger

  beforeEach(async () => {
    fleet = messengerFleet()
    const boot = (await fleet.dhtNetwork(3))[0]!
    ;[a, b] = await Promise.all([fleet.start({ bootstrap: boot.addrs }), fleet.start({ bootstrap: boot.addrs })])
    await Promise.all([goOnline(a), goOnline(b)])
  })
  afterEach(() => fleet.stopAll())

  const connected = (from: TestMessenger, to: TestMessenger): boolean =>
    from.messenger.node.getConnections(peerIdFromString(to.peerId)).length > 0

  it('opens a connection at the addresses of a profile, and shrugs off a profile it cannot reach', async () => {
    await a.messenger.node.hangUp(peerIdFromString(b.peerId))
    await waitFor(() => !connected(a, b), 'a and b apart')
    const profile = b.messenger.directory.own
    assert.ok(profile !== undefined)
    connectAhead(a.messenger.node, profile, AbortSignal.timeout(10_000))
    await waitFor(() => connected(a, b), 'a connection from a to b')

    // a profile whose only address has nobody listening: the dial fails quietly
    await a.messenger.node.hangUp(peerIdFromString(b.peerId))
    await waitFor(() => !connected(a, b), 'a and b apart again')
    await a.messenger.node.peerStore.delete(peerIdFromString(b.peerId))
    const unreachable = { ...profile, addresses: ['/ip4/127.0.0.1/tcp/1'] }
    connectAhead(a.messenger.node, unreachable, AbortSignal.timeout(2_000))
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    assert.equal(connected(a, b), false)
  })

  it('a first message dials the recipient before the send returns, at the lookup`s first record', async () => {
    const dials: Array<{ peer: string; at: number }> = []
    const node = a.messenger.node
    const dial = node.dial.bind(node)
    // our own code calls node.dial only to connect ahead (the outbox opens streams with dialProtocol)
    node.dial = ((peer: Parameters<typeof node.dial>[0], options?: Parameters<typeof node.dial>[1]) => {
      dials.push({ peer: peer.toString(), at: performance.now() })
      return dial(peer, options)
    }) as typeof node.dial
    assert.equal(a.messenger.directory.cached(b.peerId), undefined, 'b is already known to a')
    // the DHT connected them while forming; a first message usually finds no connection
    await node.hangUp(peerIdFromString(b.peerId))
    await waitFor(() => !connected(a, b), 'a and b apart')
    const r = await a.messenger.sendText(b.peerId, 'first')
    const returnedAt = performance.now()
    const ahead = dials.filter((d) => d.peer === b.peerId)
    assert.equal(ahead.length, 1, JSON.stringify(dials))
    assert.ok(ahead[0]!.at < returnedAt)
    await waitFor(() => b.messenger.messages({ peer: a.peerId }).some((m) => m.id === r.id), 'the message at b')

    // a second message finds b in the cache: no lookup, nothing to connect ahead
    await a.messenger.sendText(b.peerId, 'second')
    assert.equal(dials.filter((d) => d.peer === b.peerId).length, 1)
  })
})

/**
 * A first message to a peer dials while the profile lookup still waits for fresher records
 * (connectAhead on the lookup's first record), instead of after it. The sender here does not ask
 * the recipient for its profile (askRecipient: false), the path this falls back to; asking
 * dials ahead too (ask-recipient.test.ts).
 */
import assert from 'node:assert/strict'
import { connectAhead } from '../../src/messenger/dialer.ts'
import {
  connectedTo,
  goOnline,
  type MessengerFleet,
  messengerFleet,
  partFrom,
  sleep,
  type TestMessenger,
  waitFor
} from '../helpers/p2p.ts'

describe('connecting ahead of a first message', function () {
  this.timeout(60_000)
  let fleet: MessengerFleet
  let a: TestMessenger
  let b: TestMessenger

  beforeEach(async () => {
    fleet = messengerFleet()
    const boot = (await fleet.dhtNetwork(3))[0]!
    ;[a, b] = await Promise.all([
      fleet.start({ bootstrap: boot.addrs, askRecipient: false }),
      fleet.start({ bootstrap: boot.addrs })
    ])
    await Promise.all([goOnline(a), goOnline(b)])
  })
  afterEach(() => fleet.stopAll())

  it('opens a connection at the addresses of a profile, and shrugs off a profile it cannot reach', async () => {
    await partFrom(a, b)
    const profile = b.messenger.directory.own
    assert.ok(profile !== undefined)
    connectAhead(a.messenger.node, profile, AbortSignal.timeout(10_000))
    await waitFor(() => connectedTo(a, b), 'a connection from a to b')

    // a profile with a malformed address and one nobody listens on: the dial fails quietly
    await partFrom(a, b)
    const unreachable = { ...profile, addresses: ['not a multiaddr', '/ip4/127.0.0.1/tcp/1'] }
    connectAhead(a.messenger.node, unreachable, AbortSignal.timeout(2_000))
    await sleep(2_500)
    assert.equal(connectedTo(a, b), false)
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
    // b's profile on all 4 other DHT servers, a among them: a's lookup has its first record from
    // its own store at once, before its query dials anyone (b included)
    await waitFor(async () => (await b.messenger.publishProfile()).acks >= 4, 'b`s profile on every server', {
      intervalMs: 200
    })
    // the DHT connected them while forming; a first message usually finds no connection
    await partFrom(a, b)
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

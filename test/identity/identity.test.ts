import { ok, strictEqual } from 'node:assert/strict'
import { DEFAULT_KEY_GRACE_MS } from '../../src/constants.ts'
import { nobleEngine } from '../../src/crypto/index.ts'
import { open, seal } from '../../src/envelope/index.ts'
import { createIdentity, openKeystore, sealKeystore, verifySignedEncryptionKey } from '../../src/identity/index.ts'
import { throwsParley } from '../helpers/assert.ts'
import { toHex, utf8 } from '../helpers/bytes.ts'

const T0 = Date.UTC(2026, 5, 1)
const DAY = 24 * 60 * 60 * 1000

describe('identity: keys in memory and encryption-key rotation', () => {
  it('a fresh identity has one current, signed encryption key', () => {
    const id = createIdentity({ now: T0 })
    strictEqual(id.encryptionKeys.length, 1)
    const key = id.currentEncryptionKey()
    strictEqual(key.createdAt, T0)
    strictEqual(key.retiredAt, undefined)
    const checked = verifySignedEncryptionKey(key.signed, id.publicKey)
    strictEqual(toHex(checked.publicKey), toHex(key.publicKey))
    strictEqual(id.findEncryptionKey(key.id), key)
    strictEqual(id.findEncryptionKey(new Uint8Array(8)), undefined)
    ok(id.peerId.startsWith('12D3KooW'))
  })

  it('refuses a seed that is not 32 bytes', () => {
    throwsParley(() => createIdentity({ seed: new Uint8Array(31) }), 'InvalidKeyError')
    throwsParley(() => createIdentity({ seed: new Uint8Array(33), engine: nobleEngine() }), 'InvalidKeyError')
  })

  it('rotation: the new key is current, the old key still opens mail in flight, purge after 14 days drops it', () => {
    const alice = createIdentity({ now: T0 })
    const bob = createIdentity({ now: T0 })
    const oldKey = bob.currentEncryptionKey()
    const inFlight = seal({
      sender: alice,
      recipient: bob.peerId,
      encryptionKey: oldKey,
      body: utf8('before'),
      createdAt: T0
    })

    const rotatedAt = T0 + DAY
    const fresh = bob.rotateEncryptionKey({ now: rotatedAt })
    strictEqual(bob.currentEncryptionKey(), fresh)
    strictEqual(fresh.createdAt, rotatedAt)
    strictEqual(oldKey.retiredAt, rotatedAt)
    ok(toHex(fresh.id) !== toHex(oldKey.id))
    strictEqual(bob.encryptionKeys.length, 2)

    // new mail goes to the new key; old mail still opens
    const after = seal({
      sender: alice,
      recipient: bob.peerId,
      encryptionKey: fresh,
      body: utf8('after'),
      createdAt: rotatedAt
    })
    strictEqual(Buffer.from(open(after.bytes, bob, { now: rotatedAt }).body).toString(), 'after')
    strictEqual(Buffer.from(open(inFlight.bytes, bob, { now: rotatedAt }).body).toString(), 'before')

    // one millisecond before the end of the grace period: still kept
    strictEqual(bob.purgeRetiredKeys({ now: rotatedAt + DEFAULT_KEY_GRACE_MS - 1 }), 0)
    strictEqual(open(inFlight.bytes, bob, { now: T0 + DAY }).body.byteLength, 6)
    // at the end of the grace period: dropped, and old mail is UnknownKeyIdError
    strictEqual(DEFAULT_KEY_GRACE_MS, 14 * DAY)
    strictEqual(bob.purgeRetiredKeys({ now: rotatedAt + DEFAULT_KEY_GRACE_MS }), 1)
    strictEqual(bob.encryptionKeys.length, 1)
    throwsParley(() => open(inFlight.bytes, bob, { now: T0 + DAY }), 'UnknownKeyIdError')
    // the current key is never purged, however old
    strictEqual(bob.purgeRetiredKeys({ now: rotatedAt + 10 * 365 * DAY }), 0)
    strictEqual(open(after.bytes, bob, { now: rotatedAt }).contentType, 1)
  })

  it('purge honours a custom grace period and keeps keys retired more recently', () => {
    const id = createIdentity({ now: T0 })
    id.rotateEncryptionKey({ now: T0 + 1 * DAY })
    id.rotateEncryptionKey({ now: T0 + 5 * DAY })
    id.rotateEncryptionKey({ now: T0 + 9 * DAY })
    strictEqual(id.encryptionKeys.length, 4)
    strictEqual(id.purgeRetiredKeys({ now: T0 + 10 * DAY, graceMs: 5 * DAY }), 2)
    strictEqual(id.encryptionKeys.length, 2)
    strictEqual(id.encryptionKeys[1]!.retiredAt, T0 + 9 * DAY)
  })

  it('rotation and retirement survive a save and reload, so a restart does not lose mail in flight', async () => {
    const alice = createIdentity()
    const bob = createIdentity({ now: T0 })
    const oldKey = bob.currentEncryptionKey()
    const inFlight = seal({
      sender: alice,
      recipient: bob.peerId,
      encryptionKey: oldKey,
      body: utf8('x'),
      createdAt: T0
    })
    bob.rotateEncryptionKey({ now: T0 + DAY })
    const reloaded = await openKeystore(await sealKeystore(bob))
    strictEqual(toHex(reloaded.currentEncryptionKey().id), toHex(bob.currentEncryptionKey().id))
    strictEqual(reloaded.encryptionKeys[1]!.retiredAt, T0 + DAY)
    strictEqual(open(inFlight.bytes, reloaded, { now: T0 + DAY }).body.byteLength, 1)
    reloaded.purgeRetiredKeys({ now: T0 + DAY + DEFAULT_KEY_GRACE_MS })
    const again = await openKeystore(await sealKeystore(reloaded))
    strictEqual(again.encryptionKeys.length, 1)
    throwsParley(() => open(inFlight.bytes, again, { now: T0 + DAY }), 'UnknownKeyIdError')
  })
})

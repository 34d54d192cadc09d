import assert from 'node:assert/strict'
import { join } from 'node:path'
import { MAX_ENCRYPTION_KEYS } from '../../src/constants.ts'
import { UsageError } from '../../src/errors.ts'
import { createIdentity, openKeystore, sealKeystore } from '../../src/identity/index.ts'
import { createMessenger } from '../../src/messenger/index.ts'
import { createStore } from '../../src/store/index.ts'
import { tempDir } from '../helpers/cli.ts'

describe('messenger: encryption-key rotation', () => {
  let dir: ReturnType<typeof tempDir>
  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(() => dir.cleanup())

  it('refuses to rotate past the key file cap instead of holding a key it cannot save', async () => {
    const identity = createIdentity()
    let saved: Uint8Array | undefined
    const m = await createMessenger({
      identity,
      store: createStore({ path: join(dir.path, 'a.db') }),
      transport: 'memory',
      mdns: false,
      saveIdentity: async () => {
        saved = await sealKeystore(identity)
      }
    })
    for (let i = 1; i < MAX_ENCRYPTION_KEYS; i++) await m.rotateEncryptionKey()
    assert.equal(identity.encryptionKeys.length, MAX_ENCRYPTION_KEYS)
    const current = identity.currentEncryptionKey()
    await assert.rejects(
      m.rotateEncryptionKey(),
      (err: Error) => err instanceof UsageError && /grace period/.test(err.message)
    )
    assert.equal(identity.currentEncryptionKey(), current, 'the current key did not change')
    // what was saved is what is in memory, and it opens again
    const reopened = await openKeystore(saved!)
    assert.deepEqual(reopened.currentEncryptionKey().id, current.id)
    m.store.close()
  })

  it('rolls the new key back when it cannot be saved, so it is never published', async () => {
    const identity = createIdentity()
    const before = identity.currentEncryptionKey()
    const m = await createMessenger({
      identity,
      store: createStore({ path: join(dir.path, 'b.db') }),
      transport: 'memory',
      mdns: false,
      saveIdentity: async () => {
        throw new Error('disk full')
      }
    })
    await assert.rejects(m.rotateEncryptionKey(), /disk full/)
    assert.equal(identity.currentEncryptionKey(), before)
    assert.equal(identity.encryptionKeys.length, 1)
    assert.equal(before.retiredAt, undefined)
    m.store.close()
  })
})

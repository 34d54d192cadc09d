import { ok, strictEqual } from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeCanonical } from '../../src/codec/index.ts'
import { SCRYPT_MAX_LOG_N } from '../../src/constants.ts'
import { nobleEngine } from '../../src/crypto/index.ts'
import {
  createIdentity,
  type Identity,
  isKeystoreEncrypted,
  keystorePath,
  loadIdentity,
  openHomeIdentity,
  openKeystore,
  saveIdentity,
  sealKeystore
} from '../../src/identity/index.ts'
import { rejectsParley } from '../helpers/assert.ts'
import { flipBit, toHex } from '../helpers/bytes.ts'
import { patchKeyFile, readKeyFile, readSecrets, replaceSecrets } from '../helpers/keystore.ts'

/** Low scrypt cost for tests: 2^10 * 8 * 128 B = 1 MiB. */
const logN = 10

function sameIdentity(a: Identity, b: Identity): void {
  strictEqual(a.peerId, b.peerId)
  strictEqual(toHex(a.seed), toHex(b.seed))
  strictEqual(a.encryptionKeys.length, b.encryptionKeys.length)
  a.encryptionKeys.forEach((k, i) => {
    const l = b.encryptionKeys[i]!
    strictEqual(toHex(k.privateKey), toHex(l.privateKey))
    strictEqual(toHex(k.id), toHex(l.id))
    strictEqual(k.createdAt, l.createdAt)
    strictEqual(k.retiredAt, l.retiredAt)
    strictEqual(toHex(k.signed), toHex(l.signed))
  })
}

describe('identity: key file (keystore)', () => {
  let home: string
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'parley-keystore-'))
  })
  afterEach(() => rmSync(home, { recursive: true, force: true }))

  it('round-trips a plain identity, keys in order and retired keys kept', async () => {
    const id = createIdentity({ now: 1000 })
    id.rotateEncryptionKey({ now: 2000 })
    id.rotateEncryptionKey({ now: 3000 })
    const bytes = await sealKeystore(id)
    strictEqual(isKeystoreEncrypted(bytes), false)
    const back = await openKeystore(bytes)
    sameIdentity(back, id)
    strictEqual(back.encryptionKeys[1]!.retiredAt, 3000)
    strictEqual(back.currentEncryptionKey().retiredAt, undefined)
  })

  it('round-trips with a passphrase (scrypt + ChaCha20-Poly1305), and the file is not plain', async () => {
    const id = createIdentity()
    const bytes = await sealKeystore(id, { passphrase: 'correct horse', logN })
    strictEqual(isKeystoreEncrypted(bytes), true)
    strictEqual(readKeyFile(bytes).get(3), logN)
    // the seed is nowhere in the file
    ok(!Buffer.from(bytes).includes(Buffer.from(id.seed)))
    sameIdentity(await openKeystore(bytes, 'correct horse'), id)
    // a passphrase function is asked only for an encrypted file
    let asked = 0
    sameIdentity(
      await openKeystore(bytes, async () => {
        asked++
        return 'correct horse'
      }),
      id
    )
    strictEqual(asked, 1)
    await openKeystore(await sealKeystore(id), async () => {
      asked++
      return 'x'
    })
    strictEqual(asked, 1)
  })

  it('opens with the noble engine what the node engine wrote', async () => {
    const id = createIdentity()
    const back = await openKeystore(await sealKeystore(id, { passphrase: 'pw', logN }), 'pw', nobleEngine())
    sameIdentity(back, id)
    strictEqual(back.engine.name, 'noble')
  })

  it('normalises the passphrase (NFKC), so the same words typed differently open the file', async () => {
    const id = createIdentity()
    const bytes = await sealKeystore(id, { passphrase: 'ﬁle Å', logN })
    sameIdentity(await openKeystore(bytes, 'file Å'), id)
  })

  it('a wrong passphrase is WrongPassphraseError; none at all is PassphraseRequiredError', async () => {
    const bytes = await sealKeystore(createIdentity(), { passphrase: 'right', logN })
    await rejectsParley(() => openKeystore(bytes, 'wrong'), 'WrongPassphraseError', /wrong passphrase/)
    await rejectsParley(() => openKeystore(bytes, ''), 'WrongPassphraseError')
    await rejectsParley(() => openKeystore(bytes), 'PassphraseRequiredError', /PARLEY_PASSPHRASE/)
    await rejectsParley(() => openKeystore(bytes, async () => undefined), 'PassphraseRequiredError')
  })

  it('every single flipped byte or bit of a key file is KeystoreCorruptError (plain and encrypted)', async () => {
    const id = createIdentity()
    for (const bytes of [await sealKeystore(id), await sealKeystore(id, { passphrase: 'pw', logN })]) {
      for (let i = 0; i < bytes.byteLength; i++) {
        const damaged = Uint8Array.from(bytes)
        damaged[i]! ^= 0xff
        await rejectsParley(() => openKeystore(damaged, 'pw'), 'KeystoreCorruptError', /key file is damaged/)
        await rejectsParley(() => openKeystore(flipBit(bytes, i * 8 + (i % 8)), 'pw'), 'KeystoreCorruptError')
      }
    }
  })

  it('truncated, extended, empty or garbage files are KeystoreCorruptError', async () => {
    const bytes = await sealKeystore(createIdentity(), { passphrase: 'pw', logN })
    for (let n = 0; n < bytes.byteLength; n++) {
      await rejectsParley(() => openKeystore(bytes.subarray(0, n), 'pw'), 'KeystoreCorruptError', /damaged/)
    }
    await rejectsParley(() => openKeystore(new Uint8Array([...bytes, 0]), 'pw'), 'KeystoreCorruptError')
    await rejectsParley(
      () => openKeystore(new TextEncoder().encode('-----BEGIN PRIVATE KEY-----\n')),
      'KeystoreCorruptError'
    )
    await rejectsParley(() => openKeystore(new Uint8Array(70 * 1024)), 'KeystoreCorruptError', /cap/)
  })

  it('a consistent file whose secrets are wrong is KeystoreCorruptError naming what is wrong', async () => {
    const id = createIdentity()
    const plain = await sealKeystore(id)
    // the public key does not belong to the seed
    const secrets = readSecrets(plain)
    secrets.set(2, new Uint8Array(32).fill(1))
    await rejectsParley(
      () => openKeystore(replaceSecrets(plain, encodeCanonical(secrets))),
      'KeystoreCorruptError',
      /key mismatch/
    )
    // secrets that are not a valid encoding
    await rejectsParley(
      () => openKeystore(replaceSecrets(plain, Uint8Array.of(0xa0))),
      'KeystoreCorruptError',
      /damaged/
    )
    // an encrypted file without its salt
    const enc = await sealKeystore(id, { passphrase: 'pw', logN })
    await rejectsParley(() => openKeystore(patchKeyFile(enc, { 2: undefined }), 'pw'), 'KeystoreCorruptError', /scrypt/)
    // header fields are bound to the ciphertext: a changed nonce (with a fixed checksum) does not open
    await rejectsParley(() => openKeystore(patchKeyFile(enc, { 6: new Uint8Array(12) }), 'pw'), 'WrongPassphraseError')
  })

  it('refuses scrypt parameters beyond the work cap, or zero, before asking for the passphrase', async () => {
    const enc = await sealKeystore(createIdentity(), { passphrase: 'pw', logN })
    let asked = false
    const ask = async () => {
      asked = true
      return 'pw'
    }
    for (const [l, r, p] of [
      [SCRYPT_MAX_LOG_N, 32, 16],
      [SCRYPT_MAX_LOG_N, 9, 1],
      [SCRYPT_MAX_LOG_N - 1, 32, 1],
      [0, 8, 1],
      [10, 0, 1],
      [10, 8, 0]
    ] as const) {
      const started = performance.now()
      await rejectsParley(
        () => openKeystore(patchKeyFile(enc, { 3: l, 4: r, 5: p }), ask),
        'KeystoreCorruptError',
        /scrypt/
      )
      ok(performance.now() - started < 50, 'refused without running scrypt')
    }
    strictEqual(asked, false)
    // above the schema's own cap: refused by the decoder
    await rejectsParley(
      () => openKeystore(patchKeyFile(enc, { 3: SCRYPT_MAX_LOG_N + 1 }), 'pw'),
      'KeystoreCorruptError'
    )
  })

  it('loadIdentity: no key file is IdentityNotFoundError, an oversized one is refused before reading', async () => {
    await rejectsParley(() => loadIdentity(home), 'IdentityNotFoundError', /parley init/)
    await rejectsParley(() => openHomeIdentity(home), 'IdentityNotFoundError')
    writeFileSync(keystorePath(home), new Uint8Array(64 * 1024 + 1))
    await rejectsParley(() => loadIdentity(home), 'OversizedError', /identity\.key/)
  })

  it('saveIdentity writes 0600 atomically; openHomeIdentity.save() keeps the passphrase', async () => {
    const id = createIdentity()
    await saveIdentity(home, id, { passphrase: 'pw', logN })
    strictEqual(statSync(keystorePath(home)).mode & 0o777, 0o600)
    await rejectsParley(() => openHomeIdentity(home), 'PassphraseRequiredError')
    await rejectsParley(() => openHomeIdentity(home, 'nope'), 'WrongPassphraseError')
    const opened = await openHomeIdentity(home, async () => 'pw')
    strictEqual(opened.encrypted, true)
    opened.identity.rotateEncryptionKey()
    await opened.save()
    strictEqual(statSync(keystorePath(home)).mode & 0o777, 0o600)
    const again = await loadIdentity(home, 'pw')
    sameIdentity(again, opened.identity)
    strictEqual(again.encryptionKeys.length, 2)
    await rejectsParley(() => loadIdentity(home), 'PassphraseRequiredError')
  })
})

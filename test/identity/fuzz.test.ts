import { ok } from 'node:assert/strict'
import { encodeCanonical } from '../../src/codec/index.ts'
import { MAX_KEYSTORE_BYTES, SCRYPT_MAX_LOG_N, SCRYPT_P, SCRYPT_R } from '../../src/constants.ts'
import {
  createIdentity,
  isKeystoreEncrypted,
  openKeystore,
  peerIdToBytes,
  sealKeystore,
  verifySignedEncryptionKey
} from '../../src/identity/index.ts'
import { concatBytes, toHex } from '../helpers/bytes.ts'
import { fuzzCount, mutator, runFuzz, summary } from '../helpers/fuzz.ts'
import { readKeyFile, readSecrets, replaceSecrets, withChecksum } from '../helpers/keystore.ts'
import { Rng } from '../helpers/rng.ts'
import { SCHEMA_FIELDS } from '../helpers/specs.ts'

describe('fuzz: identity decoders', () => {
  const rng = Rng.fromEnv()

  describe('openKeystore', () => {
    const ids = [createIdentity(), createIdentity(), createIdentity()]
    ids[1]!.rotateEncryptionKey()
    ids[2]!.rotateEncryptionKey()
    ids[2]!.rotateEncryptionKey()
    let plain: Uint8Array[] = []
    let encrypted: Uint8Array[] = []
    before(async () => {
      plain = await Promise.all(ids.map((id) => sealKeystore(id)))
      // logN 4: a cheap scrypt, so that inputs which get as far as the KDF stay fast
      encrypted = await Promise.all(ids.slice(0, 2).map((id) => sealKeystore(id, { passphrase: 'pw', logN: 4 })))
    })

    /** scrypt work of a key file that passed the checksum, or 0 if it has no (readable) scrypt header. */
    const scryptWork = (bytes: Uint8Array): number => {
      try {
        const f = readKeyFile(bytes)
        const [l, r, p] = [f.get(3), f.get(4), f.get(5)]
        return typeof l === 'number' && typeof r === 'number' && typeof p === 'number' ? 2 ** l * r * p : 0
      } catch {
        return 0
      }
    }
    const CAP = 2 ** SCRYPT_MAX_LOG_N * SCRYPT_R * SCRYPT_P

    const count = fuzzCount(10_000)
    it(`${count} random and mutated key files (mostly plain), typed errors only, each under 50 ms`, async () => {
      const fileMutator = mutator(rng, [...plain, ...encrypted], MAX_KEYSTORE_BYTES)
      const secretsMutator = mutator(
        rng,
        plain.map(readSecrets).map((m) => encodeCanonical(m)),
        32 * 1024
      )
      let skipped = 0
      const next = (): Uint8Array => {
        const r = rng.next()
        // 60%: bytes mutated as they are (the checksum catches nearly all of them)
        if (r < 0.6) return fileMutator.next()
        // 30%: mutated secrets in a plain file with a valid checksum: reaches the secrets decoder
        if (r < 0.9) return replaceSecrets(rng.pick(plain), secretsMutator.next())
        // 10%: structural mutations of the file with the checksum fixed: reaches the KDF and AEAD.
        // Work inside the cap costs up to seconds by design (SCRYPT_MAX_LOG_N), so only cheap
        // parameters, or ones beyond the cap (refused before scrypt runs), are timed here.
        for (;;) {
          const mutated = fileMutator.next()
          let candidate: Uint8Array
          try {
            candidate = withChecksum(readKeyFile(mutated))
          } catch {
            candidate = mutated
          }
          const work = scryptWork(candidate)
          if (work <= 2 ** 12 * 8 || work > CAP) return candidate
          skipped++
        }
      }
      const result = await runFuzz('openKeystore', rng, count, next, async (b) => {
        isKeystoreEncrypted(b)
        return openKeystore(b, rng.bool(0.9) ? 'pw' : undefined)
      })
      console.log(`      ${summary('openKeystore', result)} (${skipped} costly-but-allowed scrypt inputs skipped)`)
      for (const n of ['KeystoreCorruptError', 'WrongPassphraseError'])
        ok((result.errors.get(n) ?? 0) > 0, `never reached ${n}`)
    })
  })

  const vCount = fuzzCount(8000)
  it(`verifySignedEncryptionKey: ${vCount} inputs, typed errors only, each under 50 ms`, async () => {
    const owner = createIdentity()
    owner.rotateEncryptionKey()
    const samples = owner.encryptionKeys.map((k) => k.signed)
    const m = mutator(rng, samples, 512, SCHEMA_FIELDS['signed-encryption-key'])
    const genuine = new Set(owner.encryptionKeys.map((k) => toHex(k.publicKey)))
    const r = await runFuzz(
      'verifySignedEncryptionKey',
      rng,
      vCount,
      m.next,
      (b) => verifySignedEncryptionKey(b, owner.publicKey),
      (value) => ok(genuine.has(toHex((value as { publicKey: Uint8Array }).publicKey)), 'a key the owner never signed')
    )
    console.log(`      ${summary('verifySignedEncryptionKey', r)}`)
  })

  const pCount = fuzzCount(5000)
  it(`peerIdToBytes: ${pCount} random and mutated strings, typed errors only, each under 50 ms`, async () => {
    const ids = [createIdentity().peerId, createIdentity().peerId]
    const m = mutator(
      rng,
      ids.map((s) => new TextEncoder().encode(s)),
      100
    )
    const decoder = new TextDecoder()
    const r = await runFuzz(
      'peerIdToBytes',
      rng,
      pCount,
      () => concatBytes(m.next()),
      (b) => peerIdToBytes(decoder.decode(b))
    )
    console.log(`      ${summary('peerIdToBytes', r)}`)
  })
})

/**
 * Envelope benchmark (issue #2): seal/s and open/s of a 200-byte message with Parley's envelope, and
 * in the same run a baseline built directly on node:crypto for the same construction (X25519 with a
 * fresh ephemeral key, HKDF-SHA256, ChaCha20-Poly1305, Ed25519 sign/verify over the same sizes, with
 * KeyObjects cached as a careful direct implementation would). Cases run in interleaved rounds, in a
 * rotating order, so that machine load hits them alike; rates count operations per second of this
 * thread's CPU time (on a shared machine wall time also counts other processes), each figure is
 * the median over the rounds, and each ratio is the median of the per-round ratios (Parley ÷
 * baseline).
 *
 *   npm run bench:envelope [-- --rounds 11 --ms 300]
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  sign,
  verify
} from 'node:crypto'
import { parseArgs } from 'node:util'
import { pae } from '../src/codec/index.ts'
import { KDF_INFO_ENVELOPE } from '../src/constants.ts'
import { type CryptoEngine, nobleEngine, nodeEngine } from '../src/crypto/index.ts'
import { EnvelopeSigned } from '../src/envelope/format.ts'
import { EnvelopeWire, open, seal } from '../src/envelope/index.ts'
import { createIdentity, type Identity } from '../src/identity/index.ts'

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '11' },
    ms: { type: 'string', default: '300' },
    'noble-ms': { type: 'string', default: '300' }
  }
})
const ROUNDS = Number(args.rounds)
const WINDOW_MS = Number(args.ms)
const NOBLE_WINDOW_MS = Number(args['noble-ms'])
const BODY_BYTES = 200
const POOL = 512

const body = new Uint8Array(BODY_BYTES).map((_, i) => 97 + (i % 26))

// ---------------------------------------------------------------- Parley
interface Parties {
  alice: Identity
  bob: Identity
  pool: Uint8Array[]
}

function parties(engine: CryptoEngine): Parties {
  const seedA = new Uint8Array(32).fill(1)
  const seedB = new Uint8Array(32).fill(2)
  const encryptionKeys = [{ privateKey: new Uint8Array(32).fill(3), createdAt: Date.now() }]
  const alice = createIdentity({ seed: seedA, engine })
  const bob = createIdentity({ seed: seedB, engine, encryptionKeys })
  const pool: Uint8Array[] = []
  for (let i = 0; i < (engine.name === 'node' ? POOL : 64); i++) pool.push(sealOne(alice, bob))
  return { alice, bob, pool }
}

function sealOne(alice: Identity, bob: Identity): Uint8Array {
  return seal({ sender: alice, recipient: bob.peerId, encryptionKey: bob.currentEncryptionKey(), body }).bytes
}

const node = parties(nodeEngine())
const noble = parties(nobleEngine())
for (const p of [node, noble]) {
  const opened = open(p.pool[0]!, p.bob)
  if (opened.body.byteLength !== BODY_BYTES || opened.sender !== p.alice.peerId)
    throw new Error('parley round trip failed')
}

// ---------------------------------------------------------------- baseline: the same construction on node:crypto
// sizes taken from a real Parley envelope, so that both sides hash, sign and encrypt as many bytes
const sample = node.pool[0]!
const sampleWire = EnvelopeWire.decode(sample.subarray(1))
const HEADER_BYTES = sample.byteLength - sampleWire.ciphertext.byteLength - 3 // version byte + map minus the ciphertext field
const PLAIN_BYTES = sampleWire.ciphertext.byteLength - 16
const SIGNED_BYTES = pae(
  'parley/envelope/v1',
  EnvelopeSigned.encode({
    header: new Uint8Array(HEADER_BYTES),
    sender: new Uint8Array(38),
    messageId: new Uint8Array(16),
    createdAt: Date.now(),
    contentType: 1,
    body
  })
).byteLength
const AAD_BYTES = pae('parley/envelope-header/v1', new Uint8Array(HEADER_BYTES)).byteLength

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex')
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex')
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex')
const info = Buffer.from(KDF_INFO_ENVELOPE)

const senderKey = createPrivateKey({
  key: Buffer.concat([PKCS8_ED25519, Buffer.alloc(32, 1)]),
  format: 'der',
  type: 'pkcs8'
})
const senderPublic = createPublicKey(senderKey)
const recipientPrivate = createPrivateKey({
  key: Buffer.concat([PKCS8_X25519, Buffer.alloc(32, 3)]),
  format: 'der',
  type: 'pkcs8'
})
const recipientPublic = createPublicKey(recipientPrivate)
const recipientRaw = recipientPublic.export({ format: 'der', type: 'spki' }).subarray(12)

interface BaselineEnvelope {
  header: Buffer
  ciphertext: Buffer
}

/** X25519 (fresh ephemeral) + HKDF + Ed25519 sign + ChaCha20-Poly1305 seal, all on node:crypto. */
function baselineSeal(): BaselineEnvelope {
  const eph = generateKeyPairSync('x25519')
  const ephRaw = eph.publicKey.export({ format: 'der', type: 'spki' }).subarray(12)
  const nonce = randomBytes(12)
  const messageId = randomBytes(16)
  const header = Buffer.concat([Buffer.alloc(HEADER_BYTES - 44), ephRaw, nonce])
  const signed = Buffer.concat([header, messageId, body, Buffer.alloc(SIGNED_BYTES - HEADER_BYTES - 16 - BODY_BYTES)])
  const signature = sign(null, signed, senderKey)
  const plain = Buffer.concat([messageId, signature, body, Buffer.alloc(PLAIN_BYTES - 16 - 64 - BODY_BYTES)])
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: recipientPublic })
  const key = Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephRaw, recipientRaw]), info, 32))
  const aad = Buffer.concat([header, Buffer.alloc(AAD_BYTES - HEADER_BYTES)])
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
  cipher.setAAD(aad, { plaintextLength: plain.byteLength })
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()])
  return { header, ciphertext }
}

/** Import the ephemeral key, X25519 + HKDF, ChaCha20-Poly1305 open, Ed25519 verify (cached sender key). */
function baselineOpen(env: BaselineEnvelope): Buffer {
  const { header, ciphertext } = env
  const ephRaw = header.subarray(HEADER_BYTES - 44, HEADER_BYTES - 12)
  const nonce = header.subarray(HEADER_BYTES - 12)
  const eph = createPublicKey({ key: Buffer.concat([SPKI_X25519, ephRaw]), format: 'der', type: 'spki' })
  const shared = diffieHellman({ privateKey: recipientPrivate, publicKey: eph })
  const key = Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephRaw, recipientRaw]), info, 32))
  const aad = Buffer.concat([header, Buffer.alloc(AAD_BYTES - HEADER_BYTES)])
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
  decipher.setAAD(aad, { plaintextLength: ciphertext.byteLength - 16 })
  decipher.setAuthTag(ciphertext.subarray(ciphertext.byteLength - 16))
  const plain = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.byteLength - 16)), decipher.final()])
  const messageId = plain.subarray(0, 16)
  const signature = plain.subarray(16, 80)
  const text = plain.subarray(80, 80 + BODY_BYTES)
  const signed = Buffer.concat([header, messageId, text, Buffer.alloc(SIGNED_BYTES - HEADER_BYTES - 16 - BODY_BYTES)])
  if (!verify(null, signed, senderPublic, signature)) throw new Error('baseline signature does not verify')
  return text
}

const basePool = Array.from({ length: POOL }, () => baselineSeal())
if (Buffer.compare(baselineOpen(basePool[0]!), Buffer.from(body)) !== 0) throw new Error('baseline round trip failed')

// ---------------------------------------------------------------- harness
type CaseName = 'parley seal' | 'baseline seal' | 'parley open' | 'baseline open' | 'noble seal' | 'noble open'
const cases: Record<CaseName, { ms: number; op: (i: number) => unknown }> = {
  'parley seal': { ms: WINDOW_MS, op: () => sealOne(node.alice, node.bob) },
  'baseline seal': { ms: WINDOW_MS, op: () => baselineSeal() },
  'parley open': { ms: WINDOW_MS, op: (i) => open(node.pool[i % node.pool.length]!, node.bob) },
  'baseline open': { ms: WINDOW_MS, op: (i) => baselineOpen(basePool[i % basePool.length]!) },
  'noble seal': { ms: NOBLE_WINDOW_MS, op: () => sealOne(noble.alice, noble.bob) },
  'noble open': { ms: NOBLE_WINDOW_MS, op: (i) => open(noble.pool[i % noble.pool.length]!, noble.bob) }
}

/**
 * Operations per second of one case over a time window, per second of this thread's CPU time (the
 * machine is shared, so wall time also counts time other processes held the core) and per second
 * of wall time. The clock is read every 8 operations so that it costs little.
 */
function rate(op: (i: number) => unknown, ms: number): { cpu: number; wall: number } {
  const started = performance.now()
  const cpu0 = process.threadCpuUsage()
  let n = 0
  let elapsed = 0
  do {
    for (let k = 0; k < 8; k++) op(n++)
    elapsed = performance.now() - started
  } while (elapsed < ms)
  const cpu = process.threadCpuUsage(cpu0)
  return { cpu: (n * 1e6) / (cpu.user + cpu.system), wall: (n * 1000) / elapsed }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

// warm up the JIT on every path
for (const c of Object.values(cases)) rate(c.op, Math.min(300, c.ms))

const names = Object.keys(cases) as CaseName[]
const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<CaseName, number[]>
const wallSamples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<CaseName, number[]>
const ratios = { seal: [] as number[], open: [] as number[] }
for (let round = 0; round < ROUNDS; round++) {
  const order = names.map((_, i) => names[(i + round) % names.length]!)
  const r = {} as Record<CaseName, number>
  for (const name of order) {
    const { cpu, wall } = rate(cases[name].op, cases[name].ms)
    r[name] = cpu
    samples[name].push(cpu)
    wallSamples[name].push(wall)
  }
  ratios.seal.push(r['parley seal'] / r['baseline seal'])
  ratios.open.push(r['parley open'] / r['baseline open'])
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(8)
console.log(
  `envelope benchmark: ${BODY_BYTES}-byte message (envelope ${sample.byteLength} B), Node ${process.version}, OpenSSL ${process.versions.openssl}`
)
console.log(
  `${ROUNDS} interleaved rounds of ${WINDOW_MS} ms per case; medians; rates per second of CPU time (wall-clock rate in brackets)`
)
for (const name of names) {
  const m = median(samples[name])
  const w = median(wallSamples[name])
  console.log(`${name.padEnd(14)} ${fmt(m)}/s  ${(1e6 / m).toFixed(0).padStart(6)} µs/op   (wall ${fmt(w).trim()}/s)`)
}
console.log(`ratio seal ${median(ratios.seal).toFixed(2)}`)
console.log(`ratio open ${median(ratios.open).toFixed(2)}`)

/**
 * What business verification costs (issue #4, Benchmark), measured side by side in one run:
 *
 *   1. full attestation checks per second (verifyAttestation, nothing cached) with a warm status
 *      list, for lists naming 0 and 1,000 revoked serials;
 *   2. cached verdicts per second through the messenger's verifier (what every shown name costs);
 *   3. the message receive path of issue #3 (open the envelope, group-commit to SQLite with
 *      synchronous=FULL, emit message-received) with and without verification: a bare inbox whose
 *      listener only builds the message view, against a messenger's own inbox, whose listener also
 *      asks the verifier (cache warm) and builds the sender's display. Rounds alternate, and the
 *      median round of each path is compared;
 *   4. listing 200 messages (the API's GET /v1/messages) with and without the verification of
 *      each sender.
 *
 *   node scripts/bench-verify.ts [--seconds S] [--rounds R] [--messages N] [--dir DIR]
 *
 * Goal: verification adds less than 10% to the message path (the `ratio` line).
 */

import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { SIG_TYPE_ROOT, STORE_FILE } from '../src/constants.ts'
import { signTyped } from '../src/crypto/index.ts'
import { seal } from '../src/envelope/index.ts'
import { createIdentity, type Identity } from '../src/identity/index.ts'
import { createInbox, createMessenger, type Inbox, type Messenger, messageView } from '../src/messenger/index.ts'
import {
  createStatusRecord,
  createTrust,
  encodeRootChain,
  issueAttestation,
  RootMetadataSchema,
  registryIdOf,
  registryKeyPair,
  SignedRoot,
  signStatusList,
  type Trust,
  verifyAttestation
} from '../src/registry/index.ts'
import { createStore, type Store } from '../src/store/index.ts'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '11' },
    messages: { type: 'string', default: '100' },
    dir: { type: 'string' }
  }
})
const seconds = Number(values.seconds)
const rounds = Number(values.rounds)
const perRound = Number(values.messages)
if (!(seconds > 0) || !(rounds >= 1) || !(perRound >= 1))
  throw new Error('--seconds, --rounds and --messages must be positive')

const HOUR = 3_600_000
const DAY = 24 * HOUR

// --- a registry, built from the library (the same pieces `parley registry` uses) ---
const key = (label: string) =>
  registryKeyPair(new Uint8Array(createHash('sha256').update(`bench-verify/${label}`).digest()))
const rootKeys = [key('root-1'), key('root-2'), key('root-3')]
const issuer = key('issuer')
const statusKey = key('status')
const now = Date.now()
const meta = {
  rootVersion: 1,
  name: 'Bench Registry',
  createdAt: now,
  expiresAt: now + 365 * DAY,
  keys: [...rootKeys, issuer, statusKey].map((k) => ({ kid: k.kid, publicKey: k.publicKey })),
  root: { kids: rootKeys.map((k) => k.kid), threshold: 2 },
  issuer: { kids: [issuer.kid], threshold: 1 },
  status: { kids: [statusKey.kid], threshold: 1 }
}
const payload = RootMetadataSchema.encode(meta)
const chain = encodeRootChain([
  SignedRoot.encode({
    payload,
    signatures: rootKeys
      .slice(0, 2)
      .map((k) => ({ kid: k.kid, signature: signTyped(k.signer, SIG_TYPE_ROOT, payload) }))
  })
])
const registryId = registryIdOf(payload)

function trustWith(revoked: number): Trust {
  const trust = createTrust()
  trust.addRoot(chain, now)
  const serials = Array.from(
    { length: revoked },
    (_, i) => new Uint8Array(createHash('sha256').update(`revoked ${i}`).digest().subarray(0, 16))
  )
  const signed = signStatusList(
    { registryId, seq: 1, issuedAt: now, nextUpdate: now + DAY, revoked: serials, logSize: 1_000_000 },
    statusKey
  )
  trust.importStatus(createStatusRecord(chain, signed))
  return trust
}

const business = createIdentity()
const { bundle } = issueAttestation({
  registryId,
  rootVersion: 1,
  issuer,
  subject: business.peerId,
  name: 'Acme Bank',
  domain: 'acme.example',
  logIndex: 1,
  now
})

/** CPU time this process used since `from` (user + system), in µs. */
const cpuSince = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from)
  return d.user + d.system
}

/**
 * Runs `fn` repeatedly for about `ms` of wall time; returns calls per second of this process's CPU
 * time (other processes on a shared machine stretch wall time, not the CPU time a call takes).
 */
function rate(fn: () => void, ms = seconds * 1000): number {
  // warm up (let the JIT settle) for a fifth of the slice, at most 300 ms
  const warm = performance.now() + Math.min(300, ms / 5)
  while (performance.now() < warm) for (let i = 0; i < 20; i++) fn()
  let calls = 0
  const cpu = process.cpuUsage()
  const end = performance.now() + ms
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) fn()
    calls += 50
  }
  return calls / (cpuSince(cpu) / 1e6)
}

/**
 * Two rates measured in alternating short slices; returns the median of each and the median of the
 * paired ratios a/b (drift on a shared machine hits both sides of a pair alike).
 */
function rates(a: () => void, b: () => void, pairs = 4 * rounds): { a: number; b: number; ratio: number } {
  const ra: number[] = []
  const rb: number[] = []
  const slice = (seconds * 1000) / pairs
  for (let r = 0; r < pairs; r++) {
    if (r % 2 === 0) {
      ra.push(rate(a, slice))
      rb.push(rate(b, slice))
    } else {
      rb.push(rate(b, slice))
      ra.push(rate(a, slice))
    }
  }
  return { a: median(ra), b: median(rb), ratio: median(ra.map((x, i) => x / rb[i]!)) }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

console.log(
  `bench-verify: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}; ${seconds} s per rate, ${rounds} rounds of ${perRound} messages`
)

// --- 1. full checks ---
const full: Record<number, number> = {}
for (const revoked of [0, 1000]) {
  const trust = trustWith(revoked)
  const r = verifyAttestation({ bundle, peerId: business.peerId, trust })
  if (r.status !== 'verified') throw new Error(`the bench attestation is ${r.status}: ${r.reason}`)
  full[revoked] = rate(() => {
    verifyAttestation({ bundle, peerId: business.peerId, trust })
  })
  console.log(
    `full attestation checks   ${fmt(full[revoked]!).padStart(12)} /s   (${fmt(1e6 / full[revoked]!, 1)} µs of CPU each; status list naming ${revoked} revoked serials)`
  )
}

// --- 3 & 4 need a messenger (never started: no network) and a bare inbox, each with its own store ---
const root = mkdtempSync(join(values.dir ?? tmpdir(), 'parley-bench-verify-'))
const me: Identity = createIdentity()
const stores: Store[] = []
let messenger: Messenger | undefined
try {
  const trust = trustWith(100)
  for (const d of ['with', 'without']) mkdirSync(join(root, d))
  const storeM = createStore({ path: join(root, 'with', STORE_FILE) })
  const storeB = createStore({ path: join(root, 'without', STORE_FILE) })
  stores.push(storeM, storeB)
  messenger = await createMessenger({
    identity: me,
    store: storeM,
    transport: 'memory',
    listen: [],
    mdns: false,
    trust
  })
  const m = messenger
  m.verifier.learn(business.peerId, bundle, 'profile')
  // the first refresh asks the peer (it cannot: not started) and marks it asked for the next hour
  await m.verifier.refresh(business.peerId, { timeoutMs: 200 })
  if (m.verifier.verify(business.peerId).status !== 'verified') throw new Error('the business does not verify')

  // --- 2. cached verdicts ---
  const hitsBefore = m.verifier.stats.cacheHits
  const cached = rate(() => {
    m.verifier.verify(business.peerId)
  })
  const display = rate(() => {
    m.verifier.display(business.peerId)
  })
  console.log(
    `cached verdicts           ${fmt(cached).padStart(12)} /s   (${fmt(1e9 / cached, 0)} ns of CPU each; ${fmt(m.verifier.stats.cacheHits - hitsBefore)} cache hits, ${m.verifier.stats.checks} full checks)`
  )
  console.log(`display (verdict + rules) ${fmt(display).padStart(12)} /s   (${fmt(1e9 / display, 0)} ns of CPU each)`)

  // the bare inbox: what the message path does without verification
  const waiters = new Map<string, () => void>()
  const arrived = (id: string): void => {
    const w = waiters.get(id)
    if (w !== undefined) {
      waiters.delete(id)
      w()
    }
  }
  const bare: Inbox = createInbox({
    identity: me,
    store: storeB,
    onCommitted(messages) {
      for (const msg of messages) {
        // the same shape as the messenger's listener (a promise turn, then the stored row and its view)
        void Promise.resolve().then(() => {
          const stored = storeB.getMessage(msg.id as string)
          if (stored !== undefined) arrived(messageView(stored).id)
        })
      }
    }
  })
  m.addEventListener('message-received', (evt) => arrived(evt.detail.message.id))

  const envelopes = (n: number): Array<{ id: string; bytes: Uint8Array }> =>
    Array.from({ length: n }, (_, i) => {
      const sealed = seal({
        sender: business,
        recipient: me.peerId,
        encryptionKey: me.currentEncryptionKey(),
        body: new TextEncoder().encode(`message ${i} ${'x'.repeat(190)}`)
      })
      return { id: Buffer.from(sealed.messageId).toString('hex'), bytes: sealed.bytes }
    })

  /** Receive `list`, `batch` at a time (each waits for its event); wall ms and CPU µs per message. */
  async function receiveAll(
    inbox: Inbox,
    list: Array<{ id: string; bytes: Uint8Array }>,
    batch: number
  ): Promise<{ wallMs: number; cpuUs: number }> {
    const cpu = process.cpuUsage()
    const start = performance.now()
    for (let i = 0; i < list.length; i += batch) {
      await Promise.all(
        list.slice(i, i + batch).map(async (e) => {
          const done = new Promise<void>((resolve) => waiters.set(e.id, resolve))
          const outcome = await inbox.receive(e.bytes, business.peerId)
          if (outcome.status !== 'ok') throw new Error(`receive: ${outcome.status}`)
          await done
        })
      )
    }
    return { wallMs: (performance.now() - start) / list.length, cpuUs: cpuSince(cpu) / list.length }
  }

  type Sample = { wallMs: number; cpuUs: number }
  const results: Record<string, { without: Sample[]; with: Sample[] }> = {}
  for (const batch of [1, 20]) {
    const label = `batch ${batch}`
    const r = { without: [] as Sample[], with: [] as Sample[] }
    results[label] = r
    // one warm-up round each
    await receiveAll(bare, envelopes(20), batch)
    await receiveAll(m.inbox, envelopes(20), batch)
    for (let i = 0; i < rounds; i++) {
      const a = envelopes(perRound)
      const b = envelopes(perRound)
      // alternate which path goes first
      if (i % 2 === 0) {
        r.without.push(await receiveAll(bare, a, batch))
        r.with.push(await receiveAll(m.inbox, b, batch))
      } else {
        r.with.push(await receiveAll(m.inbox, b, batch))
        r.without.push(await receiveAll(bare, a, batch))
      }
    }
  }
  const ratios: number[] = []
  for (const [label, r] of Object.entries(results)) {
    const w0 = median(r.without.map((x) => x.wallMs))
    const w1 = median(r.with.map((x) => x.wallMs))
    const c0 = median(r.without.map((x) => x.cpuUs))
    const c1 = median(r.with.map((x) => x.cpuUs))
    const wall = median(r.with.map((x, i) => x.wallMs / r.without[i]!.wallMs))
    const cpu = median(r.with.map((x, i) => x.cpuUs / r.without[i]!.cpuUs))
    ratios.push(wall, cpu)
    console.log(
      `receive path, ${label.padEnd(8)}  without ${fmt(w0, 3)} ms/msg (${fmt(1000 / w0)} msg/s, ${fmt(c0)} µs CPU)   with verification ${fmt(w1, 3)} ms/msg (${fmt(1000 / w1)} msg/s, ${fmt(c1)} µs CPU)   paired: wall ×${wall.toFixed(3)}, CPU ×${cpu.toFixed(3)}`
    )
  }

  // the work verification adds to each received message, alone: the listener's refresh (cache warm,
  // asked within the hour: no network) and the sender's display, against the path's CPU per message
  const addedCpu = process.cpuUsage()
  const addedN = 20_000
  for (let i = 0; i < addedN; i++) {
    await m.verifier.refresh(business.peerId, { timeoutMs: 2_000 })
    m.verifier.display(business.peerId)
  }
  const addedUs = cpuSince(addedCpu) / addedN
  const pathUs = Math.min(...Object.values(results).map((r) => median(r.without.map((x) => x.cpuUs))))
  console.log(
    `added per message         ${fmt(addedUs, 1)} µs CPU (verdict from cache + display) = ${fmt((100 * addedUs) / pathUs, 2)}% of the cheapest path's ${fmt(pathUs)} µs`
  )

  // --- 4. listing ---
  const list = rates(
    () => {
      storeM.listMessages({ limit: 200 }).map((x) => messageView(x))
    },
    () => {
      m.messages({ limit: 200 })
    }
  )
  console.log(
    `listing 200 messages      without ${fmt(list.a, 1)} /s   with verification ${fmt(list.b, 1)} /s (per CPU second)   paired ×${list.ratio.toFixed(3)}`
  )
  const worst = Math.max(...ratios)
  console.log(
    `ratio ${worst.toFixed(3)} (message receive path with/without verification: the worst of the paired wall and CPU medians at batch 1 and 20; listing ×${list.ratio.toFixed(3)}; added work ${fmt((100 * addedUs) / pathUs, 2)}%; goal < 1.10) ${worst < 1.1 && list.ratio < 1.1 ? 'OK' : 'OVER'}`
  )
} finally {
  await messenger?.stop()
  for (const s of stores) s.close()
  rmSync(root, { recursive: true, force: true })
}

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { STORE_FILE } from '../../../constants.ts'
import { formatSafetyNumber, initHome, loadIdentity, readConfig, safetyNumber } from '../../../identity/index.ts'
import { createMessenger, type Messenger } from '../../../messenger/index.ts'
import { createStore } from '../../../store/index.ts'
import { initRegistry, issue, makeStatus, revoke } from '../registry/registry-home.ts'

export interface DemoOptions {
  /** Keep the temporary homes (and print where). */
  keep?: boolean
  /** Print a line of the transcript. */
  print(line: string): void
  /** Longest wait for any one step. @default 30_000 */
  stepTimeoutMs?: number
}

export interface DemoResult {
  ok: boolean
  nodes: Array<{ name: string; peerId: string }>
  messages: Array<{ from: string; to: string; text: string; latencyMs: number | null; delivered: boolean }>
  verification: Array<{ peer: string; status: string }>
  durationMs: number
  root: string
}

const LOOPBACK = ['/ip4/127.0.0.1/ipcidr/32']

/**
 * `parley demo`: real nodes with temporary homes on loopback. Alice and Bob join through a hub
 * and find each other in the DHT (never by a direct dial of an address they were given), chat,
 * and Alice writes to Carol, who has never been online; Carol starts later and gets it. Then a
 * registry verifies Acme Bank; an impostor borrowing Acme's attestation is shown as invalid and
 * flagged as a look-alike; Acme is revoked and shown as revoked.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const t0 = performance.now()
  const stepTimeout = options.stepTimeoutMs ?? 30_000
  const root = mkdtempSync(join(tmpdir(), 'parley-demo-'))
  const running: Messenger[] = []
  const result: DemoResult = { ok: false, nodes: [], messages: [], verification: [], durationMs: 0, root }
  const stamp = (): string => `[${((performance.now() - t0) / 1000).toFixed(2).padStart(6)}s]`
  const say = (who: string, what: string): void => options.print(`${stamp()} ${who.padEnd(6)} ${what}`)
  const short = (peerId: string): string => `${peerId.slice(0, 14)}…`

  const start = async (
    name: string,
    bootstrap: string[],
    extra: { attestation?: Uint8Array; name?: string } = {}
  ): Promise<Messenger> => {
    const home = join(root, name)
    const identity = existsSync(join(home, 'identity.key')) ? await loadIdentity(home) : await initHome(home, { name })
    const m = await createMessenger({
      identity,
      store: createStore({ path: join(home, STORE_FILE) }),
      name: extra.name ?? readConfig(home).name ?? name,
      ...(extra.attestation !== undefined ? { attestation: extra.attestation } : {}),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap,
      mdns: false,
      allow: LOOPBACK,
      // short retries so the demo does not sit through production backoff (1 s doubling to 5 min)
      backoff: { baseMs: 250, capMs: 2_000 },
      resolveTimeoutMs: 3_000
    })
    await m.start()
    running.push(m)
    result.nodes.push({ name, peerId: m.peerId })
    return m
  }

  const within = <T>(what: string, p: Promise<T>): Promise<T> =>
    Promise.race([
      p,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), stepTimeout).unref())
    ])

  const receive = (m: Messenger, id: string): Promise<number> =>
    new Promise((resolve) => {
      const check = (): boolean => m.message(id) !== undefined
      if (check()) return resolve(performance.now())
      const on = (evt: CustomEvent<{ message: { id: string } }>): void => {
        if (evt.detail.message.id !== id) return
        m.removeEventListener('message-received', on)
        resolve(performance.now())
      }
      m.addEventListener('message-received', on)
    })

  const acked = (m: Messenger, id: string): Promise<number> =>
    new Promise((resolve, reject) => {
      if (m.message(id)?.status === 'sent') return resolve(performance.now())
      const on = (evt: CustomEvent<{ id: string; status: string; error?: string }>): void => {
        if (evt.detail.id !== id || evt.detail.status === 'queued') return
        m.removeEventListener('message-status', on)
        if (evt.detail.status === 'sent') resolve(performance.now())
        else reject(new Error(`message failed: ${evt.detail.error ?? ''}`))
      }
      m.addEventListener('message-status', on)
    })

  const chat = async (from: Messenger, fromName: string, to: Messenger | string, toName: string, text: string) => {
    const toId = typeof to === 'string' ? to : to.peerId
    const sentAt = performance.now()
    const { id } = await from.sendText(toId, text)
    return { id, sentAt, fromName, toName, text }
  }

  try {
    options.print(`Parley demo: real nodes on 127.0.0.1, temporary homes in ${root}`)
    const hub = await start('hub', [])
    say('hub', `started ${short(hub.peerId)} at ${hub.addresses()[0]}`)
    const bootstrap = [hub.addresses()[0]!]
    const alice = await start('alice', bootstrap)
    say('alice', `started ${short(alice.peerId)}, joining through hub`)
    const bob = await start('bob', bootstrap)
    say('bob', `started ${short(bob.peerId)}, joining through hub`)

    for (const [name, m] of [
      ['alice', alice],
      ['bob', bob]
    ] as const) {
      const r = await within(`${name} publishing its profile`, m.publishProfile())
      say(name, `published its signed profile to the DHT (seq ${r.seq}, stored by ${r.acks} peers)`)
    }

    const lookupStart = performance.now()
    const bobProfile = await within('alice finding bob', alice.resolve(bob.peerId, { fresh: true }))
    if (bobProfile === undefined) throw new Error('alice could not find bob in the DHT')
    say(
      'alice',
      `found bob in the DHT: "${bobProfile.name}", ${bobProfile.addresses.length} address(es), key ${Buffer.from(bobProfile.encryptionKey.id).toString('hex')} (${Math.round(performance.now() - lookupStart)} ms)`
    )
    say(
      'alice',
      `safety number with bob: ${formatSafetyNumber(safetyNumber(alice.identity.publicKey, bob.identity.publicKey))}`
    )

    const exchange = async (from: Messenger, fromName: string, to: Messenger, toName: string, text: string) => {
      const c = await chat(from, fromName, to, toName, text)
      const [gotAt, ackAt] = await within(
        `${fromName} → ${toName}`,
        Promise.all([receive(to, c.id), acked(from, c.id)])
      )
      const received = to.message(c.id)
      const ok = received?.text === text && received.from === from.peerId
      say(
        fromName,
        `→ ${toName}: "${text}"  delivered in ${Math.round(gotAt - c.sentAt)} ms, acked in ${Math.round(ackAt - c.sentAt)} ms`
      )
      result.messages.push({ from: fromName, to: toName, text, latencyMs: Math.round(gotAt - c.sentAt), delivered: ok })
      if (!ok) throw new Error(`${toName} did not get the right message`)
    }
    await exchange(alice, 'alice', bob, 'bob', "Hi Bob, it's Alice. Found you through the DHT.")
    await exchange(bob, 'bob', alice, 'alice', 'Hi Alice! Sealed end to end, signed inside.')

    // Carol has an identity but has never been online: nobody can find her key yet
    const carolHome = join(root, 'carol')
    const carolIdentity = await initHome(carolHome, { name: 'carol' })
    const c = await chat(
      alice,
      'alice',
      carolIdentity.peerId,
      'carol',
      'Carol, this waits for you until you come online.'
    )
    say('alice', `→ carol: "${c.text}"  ${alice.message(c.id)?.status} (carol has never been online)`)
    await new Promise((r) => setTimeout(r, 1_500))
    say('alice', `carol's copy is still ${alice.message(c.id)?.status}; alice's outbox keeps retrying`)

    const carol = await createMessenger({
      identity: carolIdentity,
      store: createStore({ path: join(carolHome, STORE_FILE) }),
      name: 'carol',
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap,
      mdns: false,
      allow: LOOPBACK,
      backoff: { baseMs: 250, capMs: 2_000 }
    })
    const carolGot = receive(carol, c.id)
    const aliceAck = acked(alice, c.id)
    await carol.start()
    running.push(carol)
    result.nodes.push({ name: 'carol', peerId: carol.peerId })
    say('carol', `started ${short(carol.peerId)}, joining through hub`)
    const [gotAt] = await within('carol receiving the waiting message', Promise.all([carolGot, aliceAck]))
    const got = carol.message(c.id)
    const ok = got?.text === c.text && got.from === alice.peerId
    say('carol', `← alice: "${got?.text}"  (${((gotAt - c.sentAt) / 1000).toFixed(1)} s after alice sent it)`)
    say('alice', `carol's copy is now ${alice.message(c.id)?.status}`)
    result.messages.push({
      from: 'alice',
      to: 'carol',
      text: c.text,
      latencyMs: Math.round(gotAt - c.sentAt),
      delivered: ok
    })

    // --- verified businesses ---
    options.print(`${stamp()} -- verified businesses --`)
    const registry = initRegistry(join(root, 'registry'), 'Demo Registry')
    say('reg', `registry ${registry.registryId} created: 2-of-3 root keys, an issuing key, a status key`)
    const acmeHome = join(root, 'acme')
    const acmeIdentity = await initHome(acmeHome, { name: 'Acme Bank' })
    const issued = issue(registry, {
      subject: acmeIdentity.peerId,
      name: 'Acme Bank',
      domain: 'acme.example',
      country: 'GB'
    })
    const serial = Buffer.from(issued.attestation.serial).toString('hex')
    say('reg', `issued "Acme Bank" to ${short(acmeIdentity.peerId)} (serial ${serial.slice(0, 12)}…, 14 days)`)
    try {
      issue(registry, { subject: bob.peerId, name: 'Acme Bаnk' })
    } catch (err) {
      say('reg', `refused "Acme Bаnk" (Cyrillic а) for bob: ${(err as Error).message.split(': ').slice(1).join(': ')}`)
    }
    const status1 = makeStatus(registry)
    alice.addTrustedRoot(new Uint8Array(readFileSync(registry.rootFile)))
    await alice.importStatus(status1.record)
    say('alice', `trusts the registry (root file) and holds its status list ${status1.seq}`)

    const acme = await start('acme', bootstrap, { attestation: issued.bundle })
    say('acme', `started ${short(acme.peerId)} with its attestation in its profile and on /parley/attest/1.0.0`)
    // the impostor calls itself "Acme Bank" and staples Acme's real attestation to its own key
    const evil = await start('evil', bootstrap, { attestation: issued.bundle, name: 'Acme Bank' })
    say('evil', `started ${short(evil.peerId)}, calls itself "Acme Bank" and presents Acme's attestation as its own`)

    const business = async (from: Messenger, fromName: string, text: string): Promise<void> => {
      const c = await chat(from, fromName, alice, 'alice', text)
      await within(`${fromName} → alice`, Promise.all([receive(alice, c.id), acked(from, c.id)]))
      const v = await alice.verifyPeer(from.peerId, { refresh: true })
      const d = alice.display(from.peerId)
      const shown = d.badge
        ? `${d.name} ✔ verified`
        : d.impersonationOf !== undefined
          ? `"${d.name}" ⚠ NOT verified (looks like ${d.impersonationOf})`
          : `${d.name ?? short(from.peerId)}`
      say('alice', `← ${shown}: "${text}"  [${v.status}${v.reason !== undefined ? `: ${v.reason}` : ''}]`)
      result.messages.push({
        from: fromName,
        to: 'alice',
        text,
        latencyMs: null,
        delivered: alice.message(c.id) !== undefined
      })
      result.verification.push({ peer: fromName, status: v.status })
    }
    await business(acme, 'acme', 'Your new card has been dispatched.')
    await business(evil, 'evil', 'Urgent: confirm your PIN at acme-secure.example')

    revoke(registry, serial)
    const status2 = makeStatus(registry)
    say('reg', `revoked ${serial.slice(0, 12)}…; status list ${status2.seq} names it`)
    await alice.importStatus(status2.record, { publish: true })
    say('alice', `imported status list ${status2.seq} (and put it in the DHT for others)`)
    await business(acme, 'acme', 'Reminder: your statement is ready.')

    const counts = running.map((m) => m.messages().filter((x) => x.direction === 'in' && x.contentType !== 0).length)
    const inboxTotal = counts.reduce((a, b) => a + b, 0)
    const expected = ['verified', 'invalid', 'revoked']
    const verificationOk = expected.every((s, i) => result.verification[i]?.status === s)
    result.ok =
      ok && verificationOk && result.messages.every((m) => m.delivered) && inboxTotal === result.messages.length
    options.print(
      `${stamp()} done: ${result.messages.length} messages, each in its recipient's inbox exactly once (${inboxTotal} inbox rows); badges ${result.verification.map((v) => `${v.peer}=${v.status}`).join(', ')}`
    )
  } finally {
    await Promise.allSettled(running.map((m) => m.stop()))
    for (const m of running) m.store.close()
    result.durationMs = Math.round(performance.now() - t0)
    if (options.keep !== true) rmSync(root, { recursive: true, force: true })
  }
  return result
}

/**
 * Verified businesses end to end (issue #4, Tests), every party a real process: a registry run
 * with `parley registry …`, a business node and a customer node (`parley start` children on
 * loopback, the customer bootstrapped through the business). Trust and the attestation are set up
 * while the daemons are stopped (they edit the homes, and the daemons pick them up when they
 * start); later changes go through the running daemons' API and take effect at once. The customer
 * sees the business verified in `verify` and in its inbox; a renamed reissue leaves a notice; after
 * a revoke and a status import, `revoked`.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { runCli } from '../../src/cli/index.ts'
import type { MessageView } from '../../src/messenger/index.ts'
import type { VerificationResult } from '../../src/registry/index.ts'
import { memoryIo } from '../helpers/cli.ts'
import { type AnyJson, makeHome, ProcessGroup, stopProcess, tempRoot, waitFor } from '../helpers/daemons.ts'

describe('e2e: a verified business (registry, business and customer processes)', function () {
  this.timeout(300_000)
  const group = new ProcessGroup()
  let root: ReturnType<typeof tempRoot>

  beforeEach(() => {
    root = tempRoot('parley-e2e-verified-')
  })

  afterEach(async () => {
    await group.killAll()
    root.cleanup()
  })

  /** `parley ARGS` as a tracked child; fails the test on a non-zero exit; parses --json output. */
  async function parley(args: string[]): Promise<AnyJson> {
    const r = await group.run(args, { timeoutMs: 90_000 })
    assert.equal(r.code, 0, `parley ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
    return args.includes('--json') ? JSON.parse(r.stdout) : r.stdout
  }

  /**
   * The same command through the same parser in this process (it reaches a running daemon over
   * HTTP just the same): the steps between the ones that run as children, because a child process
   * costs seconds on a loaded two-core machine.
   */
  async function inProcess(args: string[]): Promise<AnyJson> {
    const io = memoryIo()
    const code = await runCli(args, io)
    assert.equal(code, 0, `parley ${args.join(' ')} (in-process)\nstdout: ${io.out}\nstderr: ${io.err}`)
    return args.includes('--json') ? JSON.parse(io.out) : io.out
  }

  it('the customer sees verified, then the renamed business with a notice, then revoked', async () => {
    const rdir = join(root.path, 'registry')
    const homes = { biz: join(root.path, 'acme'), customer: join(root.path, 'customer') }
    const files = (name: string) => join(root.path, name)

    // --- the registry (a child process) and two homes ---
    const [reg, bizId, customerId] = await Promise.all([
      parley(['registry', 'init', '--home', rdir, '--name', 'E2E Registry', '--json']),
      makeHome(homes.biz, 'Acme Bank'),
      makeHome(homes.customer, 'Carol')
    ])
    const registryId: string = reg.registryId
    // the customer can trust the registry as soon as its root file exists, while it issues
    const [issued1, added] = await Promise.all([
      parley([
        'registry',
        'issue',
        '--home',
        rdir,
        '--subject',
        bizId,
        '--name',
        'Acme Bank',
        '--domain',
        'acme.example',
        '--out',
        files('acme-1.attestation'),
        '--json'
      ]),
      // daemons stopped: these edit the homes
      parley(['trust', 'add', reg.root, '--home', homes.customer, '--json'])
    ])
    assert.deepEqual(added, { registryId, rootVersion: 1, added: true, updated: false })
    const [attested, status1, listed] = await Promise.all([
      parley(['business', 'attest', files('acme-1.attestation'), '--home', homes.biz, '--json']),
      inProcess(['registry', 'status', '--home', rdir, '--out', files('status-1.parley'), '--json']),
      inProcess(['trust', 'list', '--home', homes.customer, '--json'])
    ])
    assert.equal(attested.serial, issued1.serial)
    assert.equal(attested.name, 'Acme Bank')
    assert.equal(attested.replaced, false)
    assert.equal(status1.seq, 1)
    assert.equal(listed.length, 1)
    assert.equal(listed[0].registryId, registryId)
    assert.equal(listed[0].status, null)

    // --- the daemons start and pick that up; the customer joins through the business ---
    const biz = await group.startDaemon({ home: homes.biz })
    const customer = await group.startDaemon({ home: homes.customer, bootstrap: [biz.addresses[0]!] })
    assert.equal(biz.peerId, bizId)
    assert.equal(customer.peerId, customerId)
    const own = await biz.call('GET', '/v1/business/attestation')
    assert.equal(own.status, 200, own.text)
    assert.equal(own.json.serial, issued1.serial)
    assert.equal((await inProcess(['trust', 'list', '--home', homes.customer, '--json']))[0].registryId, registryId)

    const verify = (run = inProcess) =>
      run(['verify', bizId, '--home', homes.customer, '--json']) as Promise<VerificationResult>
    const inbox = (run = inProcess) =>
      run(['inbox', '--home', homes.customer, '--from', bizId, '--json']) as Promise<MessageView[]>
    // trusted (the customer) and attested (the business), but no status list yet: grey, never green
    const noStatus = await verify()
    assert.equal(noStatus.status, 'stale', JSON.stringify(noStatus))
    assert.equal(noStatus.name, 'Acme Bank')
    assert.match(noStatus.reason ?? '', /no status list/)

    // --- with the daemon running, a status import goes through the API and counts at once ---
    const imported = await inProcess(['trust', 'status', files('status-1.parley'), '--home', homes.customer, '--json'])
    assert.deepEqual(imported, { registryId, seq: 1, changed: true })
    const verified = await verify(parley)
    assert.deepEqual(verified, { status: 'verified', name: 'Acme Bank', registryId, expiresAt: issued1.expiresAt })

    // --- the business writes; the customer's inbox shows it verified ---
    await waitFor(
      'the business to find the customer in the DHT',
      async () => (await biz.call('GET', `/v1/peers/${customerId}`)).status === 200,
      60_000
    )
    const text = 'Your new card has been dispatched.'
    const sent = await inProcess(['send', customerId, text, '--home', homes.biz, '--wait', '--timeout', '60', '--json'])
    assert.equal(sent.status, 'sent')
    const first = (await inbox(parley)).find((m) => m.id === sent.id)
    assert.ok(first !== undefined, 'the message is in the customer inbox')
    assert.equal(first.text, text)
    assert.equal(first.verification?.status, 'verified')
    assert.equal(first.verification?.name, 'Acme Bank')
    const shown = await customer.call('GET', `/v1/verify/${bizId}`)
    assert.deepEqual(shown.json.display, { name: 'Acme Bank', badge: true, source: 'verified' })

    // --- a reissue under a new name, installed while the business daemon runs: effective at once ---
    const issued2 = await inProcess([
      'registry',
      'issue',
      '--home',
      rdir,
      '--subject',
      bizId,
      '--name',
      'Acme Bank Plc',
      '--out',
      files('acme-2.attestation'),
      '--json'
    ])
    const [replaced, status2] = await Promise.all([
      inProcess(['business', 'attest', files('acme-2.attestation'), '--home', homes.biz, '--json']),
      inProcess(['registry', 'status', '--home', rdir, '--out', files('status-2.parley'), '--json'])
    ])
    assert.equal(replaced.replaced, true)
    assert.equal(replaced.name, 'Acme Bank Plc')
    assert.equal((await biz.call('GET', '/v1/business/attestation')).json.serial, issued2.serial)
    assert.equal(status2.seq, 2)
    await inProcess(['trust', 'status', files('status-2.parley'), '--home', homes.customer])
    const renamed = await verify()
    assert.equal(renamed.status, 'verified', JSON.stringify(renamed))
    assert.equal(renamed.name, 'Acme Bank Plc')
    const notices = (await inbox()).filter((m) => m.contentType === 0)
    assert.equal(notices.length, 1, JSON.stringify(notices))
    assert.equal(notices[0]!.text, 'Acme Bank is now verified as Acme Bank Plc')

    // --- revoked: revoke, a new status list, the customer imports it (child processes) ---
    await parley(['registry', 'revoke', '--home', rdir, '--serial', issued2.serial])
    const status3 = await parley(['registry', 'status', '--home', rdir, '--out', files('status-3.parley'), '--json'])
    assert.equal(status3.seq, 3)
    assert.equal(status3.revoked, 1)
    const imported3 = await parley(['trust', 'status', files('status-3.parley'), '--home', homes.customer, '--json'])
    assert.deepEqual(imported3, { registryId, seq: 3, changed: true })
    const [revoked, after] = await Promise.all([verify(parley), inbox()])
    assert.equal(revoked.status, 'revoked', JSON.stringify(revoked))
    assert.equal(revoked.name, 'Acme Bank Plc')
    assert.equal(after.find((m) => m.id === sent.id)?.verification?.status, 'revoked')
    // an older list is refused by the running daemon too (409: one line, exit 1)
    const io = memoryIo()
    assert.equal(await runCli(['trust', 'status', files('status-1.parley'), '--home', homes.customer], io), 1)
    assert.equal(io.err.trim().split('\n').length, 1, io.err)
    assert.match(io.err, /refusing status list 1/)
    assert.equal((await inProcess(['trust', 'list', '--home', homes.customer, '--json']))[0].status.seq, 3)

    // the daemons stop cleanly; what the customer learned stays in its home
    for (const p of [customer, biz]) assert.deepEqual(await stopProcess(p, 'SIGTERM'), { code: 0, signal: null })
    const offline = await inProcess(['trust', 'list', '--home', homes.customer, '--json'])
    assert.equal(offline[0].status.seq, 3)
    assert.equal(offline[0].status.revoked, 1)
  })
})

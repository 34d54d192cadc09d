/**
 * `parley registry …`: look-alike names refused by the real CLI (child processes, and every name
 * through the same parser in-process): one line of error, non-zero exit, nothing written;
 * confusable collisions with another key's name refused while the same key is reissued its own
 * name; and (in-process) revoke, status, rotate and log, checked against the node-side library.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../../src/cli/index.ts'
import { createIdentity } from '../../src/identity/index.ts'
import {
  createTrust,
  decodeAttestationBundle,
  verifyAttestation,
  verifyRootChain,
  verifyStatusRecord
} from '../../src/registry/index.ts'
import { memoryIo, tempDir } from '../helpers/cli.ts'
import { type AnyJson, ProcessGroup } from '../helpers/daemons.ts'

const STACK = /^\s+at .+:\d+/m

/** Run `parley ARGS` in-process; returns the exit code, stdout and stderr. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string; json: () => AnyJson }> {
  const io = memoryIo()
  const code = await runCli(args, io)
  return { code, out: io.out, err: io.err, json: () => JSON.parse(io.out) }
}

/** Run a few child processes at a time (two cores: more only queue). */
async function pool<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i]!)
      }
    })
  )
  return out
}

describe('cli: parley registry', function () {
  this.timeout(120_000)
  // every child is tracked, and killed after the tests whatever happened
  const group = new ProcessGroup()
  const runParley = (args: string[]) => group.run(args)
  let dir: ReturnType<typeof tempDir>
  let rdir: string
  let registryId: string
  const acme = createIdentity().peerId
  const other = createIdentity().peerId

  before(async () => {
    dir = tempDir('parley-registry-cli-')
    rdir = join(dir.path, 'registry')
    const r = await runParley(['registry', 'init', '--home', rdir, '--name', 'Test Registry', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const data = JSON.parse(r.stdout)
    assert.deepEqual(Object.keys(data).sort(), ['registryId', 'root'])
    registryId = data.registryId
    assert.equal(data.root, join(rdir, 'root.parley'))
    assert.equal(verifyRootChain(new Uint8Array(readFileSync(data.root))).registryId, registryId)
    assert.equal(statSync(rdir).mode & 0o777, 0o700)
    assert.equal(statSync(join(rdir, 'registry.state')).mode & 0o777, 0o600)
  })
  after(async () => {
    await group.killAll()
    dir.cleanup()
  })

  it('refuses look-alike names at issue: exactly one line of error, non-zero exit, no bundle written (real CLI and in-process)', async () => {
    const names: Array<[string, string, RegExp]> = [
      ['Latin with Cyrillic а', 'Acme B\u0430nk', /mixed scripts \(Latin, Cyrillic\)/],
      ['Latin with Greek ο', 'Acme B\u03bfnk', /mixed scripts \(Latin, Greek\)/],
      ['zero-width space', 'Acme\u200bBank', /zero-width/],
      ['bidi override', 'Acme \u202eknaB', /bidirectional/],
      ['check mark', 'Acme Bank \u2714', /check mark/],
      ['registered sign', 'Acme Bank\u00ae', /badge-like/],
      ['trade mark sign', 'Acme Bank\u2122', /badge-like/],
      ['repeated spaces', 'Acme  Bank', /repeated spaces/],
      ['not NFC', 'Acme Cafe\u0301', /NFC/]
    ]
    const attempt = async ([what, name, reason]: (typeof names)[number], child: boolean) => {
      const out = join(dir.path, `refused-${what.replace(/\W+/g, '-')}.attestation`)
      const args = ['registry', 'issue', '--home', rdir, '--subject', acme, '--name', name, '--out', out]
      if (child) {
        const r = await runParley(args)
        return { what, name, reason, out, code: r.code, stdout: r.stdout, stderr: r.stderr }
      }
      const r = await cli(args)
      return { what, name, reason, out, code: r.code as number | null, stdout: r.out, stderr: r.err }
    }
    // the real command for three of them (two cores: a child process costs seconds here), the same parser in-process for all
    const results = [
      ...(await pool([names[0]!, names[2]!, names[3]!], 3, (n) => attempt(n, true))),
      ...(await pool(names, 1, (n) => attempt(n, false)))
    ]
    for (const { what, name, reason, out, code, stdout, stderr } of results) {
      assert.equal(code, 1, `${what}: exit ${code}`)
      const lines = stderr.split('\n').filter((l) => l !== '')
      assert.equal(lines.length, 1, `${what}: ${stderr}`)
      assert.match(lines[0]!, /^error: refusing the name /, what)
      assert.match(lines[0]!, reason, what)
      // the name is quoted as JSON, so invisible characters show as escapes
      assert.ok(lines[0]!.includes(JSON.stringify(name)), `${what}: ${lines[0]}`)
      assert.doesNotMatch(stderr, STACK)
      assert.equal(stdout, '', what)
      assert.equal(existsSync(out), false, `${what}: a bundle was written`)
    }
    // nothing was recorded as issued: the log still holds only root version 1
    const log = await cli(['registry', 'log', '--home', rdir, '--json'])
    assert.equal(log.json().size, 1)
  })

  it('refuses a name confusable with one issued to another key; the same key is reissued its own name (real CLI and in-process)', async () => {
    const first = await cli([
      'registry',
      'issue',
      '--home',
      rdir,
      '--subject',
      acme,
      '--name',
      'Acme Bank',
      '--out',
      join(dir.path, 'acme-1.attestation'),
      '--json'
    ])
    assert.equal(first.code, 0, first.err)
    const issued = first.json()
    assert.deepEqual(Object.keys(issued).sort(), ['expiresAt', 'name', 'out', 'serial', 'subject'])
    assert.match(issued.serial, /^[0-9a-f]{32}$/)
    assert.equal(issued.subject, acme)
    assert.equal(issued.name, 'Acme Bank')
    const days = (Date.parse(issued.expiresAt) - Date.now()) / 86_400_000
    assert.ok(days > 13.9 && days <= 14, `default lifetime ${days} days`)

    const clashes = ['ACME BANK', 'Acrne Bank', 'acme bank']
    const clashArgs = (name: string) => [
      'registry',
      'issue',
      '--home',
      rdir,
      '--subject',
      other,
      '--name',
      name,
      '--out',
      join(dir.path, 'clash.attestation')
    ]
    const child = await runParley(clashArgs(clashes[0]!))
    const refused = [
      { code: child.code, err: child.stderr },
      ...(await pool(clashes.slice(1), 1, (name) => cli(clashArgs(name))))
    ]
    refused.forEach((r, i) => {
      assert.equal(r.code, 1, clashes[i])
      assert.equal(r.err.trim().split('\n').length, 1, r.err)
      assert.match(r.err, /^error: refusing .*confusable with "Acme Bank", issued to another key/)
    })
    assert.equal(existsSync(join(dir.path, 'clash.attestation')), false)

    // the same key, its own name again (a renewal), and a longer lifetime
    const again = await cli([
      'registry',
      'issue',
      '--home',
      rdir,
      '--subject',
      acme,
      '--name',
      'ACME Bank',
      '--days',
      '30',
      '--out',
      join(dir.path, 'acme-2.attestation'),
      '--json'
    ])
    assert.equal(again.code, 0, again.err)
    assert.notEqual(again.json().serial, issued.serial)
    // bad options, one line each
    for (const args of [
      ['--days', '91'],
      ['--days', '0'],
      ['--country', 'gb'],
      ['--domain', 'not a domain']
    ]) {
      const r = await cli([
        'registry',
        'issue',
        '--home',
        rdir,
        '--subject',
        acme,
        '--name',
        'Acme Bank',
        '--out',
        join(dir.path, 'bad.attestation'),
        ...args
      ])
      assert.notEqual(r.code, 0, args.join(' '))
      // a usage error: one line of error, then commander's pointer to --help
      assert.match(r.err, /^error: /, args.join(' '))
      assert.doesNotMatch(r.err, STACK)
    }
    const badSubject = await cli(['registry', 'issue', '--home', rdir, '--subject', 'nobody', '--name', 'X Shop'])
    assert.equal(badSubject.code, 1)
    assert.match(badSubject.err, /^error: not an Ed25519 PeerId/)
  })

  it('revoke and status: the next status list names the serial, sequences increase, a node sees it revoked', async () => {
    const biz = createIdentity().peerId
    const bundlePath = join(dir.path, 'shop.attestation')
    const issued = await cli([
      'registry',
      'issue',
      '--home',
      rdir,
      '--subject',
      biz,
      '--name',
      'Corner Shop',
      '--out',
      bundlePath,
      '--json'
    ])
    assert.equal(issued.code, 0, issued.err)
    const serial: string = issued.json().serial
    const bundle = new Uint8Array(readFileSync(bundlePath))
    assert.equal(Buffer.from(decodeAttestationBundle(bundle).attestation.serial).toString('hex'), serial)

    const trust = createTrust()
    trust.addRoot(new Uint8Array(readFileSync(join(rdir, 'root.parley'))))
    const s1 = await cli(['registry', 'status', '--home', rdir, '--out', join(dir.path, 's1.parley'), '--json'])
    assert.equal(s1.code, 0, s1.err)
    trust.importStatus(new Uint8Array(readFileSync(join(dir.path, 's1.parley'))))
    assert.equal(verifyAttestation({ bundle, peerId: biz, trust }).status, 'verified')

    const rev = await cli(['registry', 'revoke', '--home', rdir, '--serial', serial.toUpperCase(), '--json'])
    assert.equal(rev.code, 0, rev.err)
    assert.deepEqual(rev.json(), { serial, name: 'Corner Shop', subject: biz })
    const s2 = await cli([
      'registry',
      'status',
      '--home',
      rdir,
      '--out',
      join(dir.path, 's2.parley'),
      '--hours',
      '6',
      '--json'
    ])
    assert.equal(s2.code, 0, s2.err)
    const d1 = s1.json()
    const d2 = s2.json()
    assert.equal(d2.seq, d1.seq + 1)
    assert.equal(d2.revoked, d1.revoked + 1)
    const hours = (Date.parse(d2.nextUpdate) - Date.now()) / 3_600_000
    assert.ok(hours > 5.9 && hours <= 6, `${hours}`)
    const record = new Uint8Array(readFileSync(join(dir.path, 's2.parley')))
    assert.equal(verifyStatusRecord(record, { expectedRegistryId: registryId }).status.seq, d2.seq)
    trust.importStatus(record)
    assert.equal(verifyAttestation({ bundle, peerId: biz, trust }).status, 'revoked')
    // the older list is refused now
    assert.throws(
      () => trust.importStatus(new Uint8Array(readFileSync(join(dir.path, 's1.parley')))),
      /refusing status list/
    )

    // once revoked, the name is free for another key
    const taken = await cli([
      'registry',
      'issue',
      '--home',
      rdir,
      '--subject',
      other,
      '--name',
      'Corner Shop',
      '--out',
      join(dir.path, 'shop-2.attestation')
    ])
    assert.equal(taken.code, 0, taken.err)

    for (const [args, message] of [
      [['--serial', 'abc'], /32 hex/],
      [['--serial', '0'.repeat(32)], /never issued/]
    ] as const) {
      const r = await cli(['registry', 'revoke', '--home', rdir, ...args])
      assert.equal(r.code, 1)
      assert.equal(r.err.trim().split('\n').length, 1)
      assert.match(r.err, message)
    }
    const tooLong = await cli(['registry', 'status', '--home', rdir, '--out', join(dir.path, 'x'), '--hours', '49'])
    assert.notEqual(tooLong.code, 0)
    assert.equal(existsSync(join(dir.path, 'x')), false)
  })

  it('rotate: root N+1 that nodes follow; with --issuer, attestations are invalid until reissued', async () => {
    const biz = createIdentity().peerId
    const path1 = join(dir.path, 'rot-1.attestation')
    assert.equal(
      (await cli(['registry', 'issue', '--home', rdir, '--subject', biz, '--name', 'Rotating Co', '--out', path1]))
        .code,
      0
    )
    const rootFile = join(rdir, 'root.parley')
    const trust = createTrust()
    trust.addRoot(new Uint8Array(readFileSync(rootFile)))
    const status = async () => {
      const out = join(dir.path, `status-${Date.now()}-${Math.random()}.parley`)
      assert.equal((await cli(['registry', 'status', '--home', rdir, '--out', out])).code, 0)
      return new Uint8Array(readFileSync(out))
    }
    trust.importStatus(await status())
    const verify = (path: string) => {
      const v = verifyAttestation({ bundle: new Uint8Array(readFileSync(path)), peerId: biz, trust })
      return v.status === 'verified' ? v.status : `${v.status}: ${v.reason}`
    }
    assert.equal(verify(path1), 'verified')
    const v0 = trust.root(registryId)!.rootVersion

    const r = await cli(['registry', 'rotate', '--home', rdir, '--json'])
    assert.equal(r.code, 0, r.err)
    assert.deepEqual(r.json(), { registryId, rootVersion: v0 + 1, root: rootFile })
    const chain = verifyRootChain(new Uint8Array(readFileSync(rootFile)), { expectedRegistryId: registryId })
    assert.equal(chain.latest.rootVersion, v0 + 1)
    assert.equal(trust.addRoot(new Uint8Array(readFileSync(rootFile))).updated, true)
    assert.equal(verify(path1), 'verified', 'the issuing key was kept')

    const r2 = await cli(['registry', 'rotate', '--home', rdir, '--issuer', '--json'])
    assert.equal(r2.code, 0, r2.err)
    assert.equal(r2.json().rootVersion, v0 + 2)
    // the node learns of version N+2 from the next status list (the record carries the chain)
    trust.importStatus(await status())
    assert.equal(trust.root(registryId)!.rootVersion, v0 + 2)
    assert.match(verify(path1), /^invalid: not signed by an issuing key/)
    const path2 = join(dir.path, 'rot-2.attestation')
    assert.equal(
      (await cli(['registry', 'issue', '--home', rdir, '--subject', biz, '--name', 'Rotating Co', '--out', path2]))
        .code,
      0
    )
    // issued after the status list the node holds: that list cannot speak for it yet
    assert.match(verify(path2), /^stale: the status list predates this attestation/)
    trust.importStatus(await status())
    assert.equal(verify(path2), 'verified')
  })

  it('log: size grows by one for every issue, revoke and root; the head is a SHA-256 that changes', async () => {
    const before = (await cli(['registry', 'log', '--home', rdir, '--json'])).json()
    assert.match(before.head, /^[0-9a-f]{64}$/)
    const biz = createIdentity().peerId
    const out = join(dir.path, 'log.attestation')
    const issued = await cli([
      'registry',
      'issue',
      '--home',
      rdir,
      '--subject',
      biz,
      '--name',
      'Log Co',
      '--out',
      out,
      '--json'
    ])
    const afterIssue = (await cli(['registry', 'log', '--home', rdir, '--json'])).json()
    assert.equal(afterIssue.size, before.size + 1)
    assert.notEqual(afterIssue.head, before.head)
    // the attestation records where it sits in the log
    assert.equal(decodeAttestationBundle(new Uint8Array(readFileSync(out))).attestation.logIndex, before.size)
    await cli(['registry', 'revoke', '--home', rdir, '--serial', issued.json().serial])
    await cli(['registry', 'rotate', '--home', rdir])
    const text = await cli(['registry', 'log', '--home', rdir])
    assert.match(text.out, new RegExp(`^size ${before.size + 3}\\nhead [0-9a-f]{64}\\n$`))
    // a status list is not logged
    await cli(['registry', 'status', '--home', rdir, '--out', join(dir.path, 'status-log.parley')])
    assert.equal((await cli(['registry', 'log', '--home', rdir, '--json'])).json().size, before.size + 3)
  })

  it('refuses a second init on the same folder, and commands on a folder without a registry, in one line', async () => {
    const again = await cli(['registry', 'init', '--home', rdir])
    assert.equal(again.code, 1)
    assert.match(again.err, /^error: .*already holds a registry\n$/)
    const empty = join(dir.path, 'empty')
    for (const args of [
      ['issue', '--subject', acme, '--name', 'X Shop'],
      ['revoke', '--serial', '0'.repeat(32)],
      ['status', '--out', join(dir.path, 'none')],
      ['rotate'],
      ['log']
    ]) {
      const r = await cli(['registry', ...args, '--home', empty])
      assert.equal(r.code, 1, args[0])
      assert.match(r.err, /^error: no registry in .*parley registry init/, args[0])
      assert.equal(r.err.trim().split('\n').length, 1)
    }
    assert.deepEqual(readdirSync(dir.path).includes('empty'), false)
  })
})

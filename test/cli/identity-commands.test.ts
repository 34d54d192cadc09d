import assert from 'node:assert/strict'
import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../../src/cli/index.ts'
import { isPeerId, publicKeyFromPeerId, safetyNumber } from '../../src/identity/index.ts'
import { memoryIo, runParley, tempDir } from '../helpers/cli.ts'

describe('cli: init, id, safety-number, rotate-key', () => {
  let dir: ReturnType<typeof tempDir>
  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(() => dir.cleanup())

  it('init creates a 0700 home with 0600 files and prints the PeerId (child process)', async () => {
    const home = join(dir.path, 'home')
    const r = await runParley(['init', '--home', home, '--name', 'Alice', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const { peerId } = JSON.parse(r.stdout)
    assert.ok(isPeerId(peerId))
    assert.equal(statSync(home).mode & 0o777, 0o700)
    for (const f of ['identity.key', 'config.json', 'api-token'])
      assert.equal(statSync(join(home, f)).mode & 0o777, 0o600, f)

    const id = await runParley(['id', '--home', home, '--json'])
    assert.equal(id.code, 0, id.stderr)
    const data = JSON.parse(id.stdout)
    assert.equal(data.peerId, peerId)
    assert.equal(data.name, 'Alice')
    assert.match(data.encryptionKey.id, /^[0-9a-f]{16}$/)
    assert.ok(!Number.isNaN(Date.parse(data.encryptionKey.createdAt)))
  })

  it('init honours $PARLEY_HOME and refuses to overwrite without --force, in one line', async () => {
    const home = join(dir.path, 'envhome')
    const first = await runParley(['init'], { env: { PARLEY_HOME: home } })
    assert.equal(first.code, 0, first.stderr)
    const peerId = first.stdout.trim()
    const again = await runParley(['init'], { env: { PARLEY_HOME: home } })
    assert.equal(again.code, 1)
    assert.equal(again.stderr.trim().split('\n').length, 1)
    assert.match(again.stderr, /already holds an identity/)
    assert.doesNotMatch(again.stderr, /\bat .*\.ts:\d+/)
    const forced = await runParley(['init', '--force'], { env: { PARLEY_HOME: home } })
    assert.equal(forced.code, 0)
    assert.notEqual(forced.stdout.trim(), peerId)
  })

  it('a passphrase-protected home opens only with the passphrase', async () => {
    const home = join(dir.path, 'locked')
    const init = await runParley(['init', '--home', home, '--json'], { env: { PARLEY_PASSPHRASE: 'correct horse' } })
    assert.equal(init.code, 0, init.stderr)
    const ok = await runParley(['id', '--home', home, '--json'], { env: { PARLEY_PASSPHRASE: 'correct horse' } })
    assert.equal(ok.code, 0, ok.stderr)
    const wrong = await runParley(['id', '--home', home], { env: { PARLEY_PASSPHRASE: 'wrong' } })
    assert.equal(wrong.code, 1)
    assert.equal(wrong.stderr.trim(), 'error: wrong passphrase')
    const none = await runParley(['id', '--home', home])
    assert.equal(none.code, 1)
    assert.match(none.stderr, /PARLEY_PASSPHRASE/)
  })

  it('a damaged key file is a clear one-line error', async () => {
    const home = join(dir.path, 'damaged')
    assert.equal(await runCli(['init', '--home', home], memoryIo()), 0)
    writeFileSync(join(home, 'identity.key'), 'not a key file')
    const io = memoryIo()
    assert.equal(await runCli(['id', '--home', home], io), 1)
    assert.match(io.err, /^error: key file is damaged/)
    assert.equal(io.err.trim().split('\n').length, 1)
  })

  it('id without a home says to run init', async () => {
    const io = memoryIo()
    assert.equal(await runCli(['id', '--home', join(dir.path, 'nothing')], io), 1)
    assert.match(io.err, /parley init/)
  })

  it('safety-number is the same from both sides and refuses a bad PeerId', async () => {
    const a = join(dir.path, 'a')
    const b = join(dir.path, 'b')
    const ioA = memoryIo()
    const ioB = memoryIo()
    await runCli(['init', '--home', a], ioA)
    await runCli(['init', '--home', b], ioB)
    const pa = ioA.out.trim()
    const pb = ioB.out.trim()
    const sa = memoryIo()
    const sb = memoryIo()
    assert.equal(await runCli(['safety-number', pb, '--home', a, '--json'], sa), 0)
    assert.equal(await runCli(['safety-number', pa, '--home', b, '--json'], sb), 0)
    const na = JSON.parse(sa.out).safetyNumber
    assert.equal(na, JSON.parse(sb.out).safetyNumber)
    assert.match(na, /^\d{60}$/)
    assert.equal(na, safetyNumber(publicKeyFromPeerId(pa), publicKeyFromPeerId(pb)))

    const bad = memoryIo()
    assert.equal(await runCli(['safety-number', 'QmNotAnEd25519Peer', '--home', a], bad), 1)
    assert.match(bad.err, /PeerId/)
  })

  it('rotate-key makes a new current key and keeps the old one', async () => {
    const home = join(dir.path, 'rot')
    await runCli(['init', '--home', home], memoryIo())
    const before = memoryIo()
    await runCli(['id', '--home', home, '--json'], before)
    const rot = memoryIo()
    assert.equal(await runCli(['rotate-key', '--home', home, '--json'], rot), 0)
    const r = JSON.parse(rot.out)
    assert.equal(r.retained, 1)
    const after = memoryIo()
    await runCli(['id', '--home', home, '--json'], after)
    assert.notEqual(JSON.parse(after.out).encryptionKey.id, JSON.parse(before.out).encryptionKey.id)
    assert.equal(JSON.parse(after.out).encryptionKey.id, r.encryptionKey.id)
  })

  it('unknown commands and options are usage errors (exit 2)', async () => {
    const io = memoryIo()
    assert.equal(await runCli(['frobnicate'], io), 2)
    const io2 = memoryIo()
    assert.equal(await runCli(['init', '--bogus'], io2), 2)
    assert.match(io2.err, /unknown option/)
    const help = memoryIo()
    assert.equal(await runCli(['init', '--help'], help), 0)
    assert.match(help.out, /--home/)
  })
})

import { deepStrictEqual, notStrictEqual, ok, strictEqual } from 'node:assert/strict'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { API_TOKEN_FILE, CONFIG_FILE, KEYSTORE_FILE } from '../../src/constants.ts'
import {
  checkDisplayName,
  ensureHome,
  initHome,
  loadIdentity,
  readApiToken,
  readConfig,
  resolveHome,
  writeApiToken,
  writeConfig
} from '../../src/identity/index.ts'
import { rejectsParley, throwsParley } from '../helpers/assert.ts'
import { fixedBytes } from '../helpers/bytes.ts'

const mode = (path: string): number => statSync(path).mode & 0o777

describe('identity: home folder', () => {
  let base: string
  let home: string
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'parley-home-'))
    home = join(base, 'nested', 'home')
  })
  afterEach(() => rmSync(base, { recursive: true, force: true }))

  it('initHome creates the home 0700 with identity.key, config.json and api-token, each 0600, and nothing else', async () => {
    const previous = process.umask(0o000) // the modes must not depend on the umask
    try {
      const id = await initHome(home, { name: 'Alice' })
      strictEqual(mode(home), 0o700)
      deepStrictEqual(readdirSync(home).sort(), [API_TOKEN_FILE, CONFIG_FILE, KEYSTORE_FILE].sort())
      for (const f of [KEYSTORE_FILE, CONFIG_FILE, API_TOKEN_FILE]) strictEqual(mode(join(home, f)), 0o600, f)
      strictEqual((await loadIdentity(home)).peerId, id.peerId)
      deepStrictEqual(readConfig(home), { version: 1, name: 'Alice' })
      ok(/^[A-Za-z0-9_-]{43}$/.test(readApiToken(home)))
    } finally {
      process.umask(previous)
    }
  })

  it('refuses to overwrite an existing identity (IdentityExistsError) and leaves every file as it was', async () => {
    await initHome(home, { name: 'Alice' })
    const before = [KEYSTORE_FILE, CONFIG_FILE, API_TOKEN_FILE].map((f) => readFileSync(join(home, f)))
    const err = await rejectsParley(() => initHome(home), 'IdentityExistsError', /already holds an identity/)
    ok(err.message.includes('--force'))
    ok(!err.message.includes('\n'), 'one line')
    const after = [KEYSTORE_FILE, CONFIG_FILE, API_TOKEN_FILE].map((f) => readFileSync(join(home, f)))
    deepStrictEqual(after, before)
  })

  it('with force, replaces the identity and the token, and keeps the config (name) unless a new name is given', async () => {
    const first = await initHome(home, { name: 'Alice' })
    const token = readApiToken(home)
    const second = await initHome(home, { force: true })
    notStrictEqual(second.peerId, first.peerId)
    strictEqual((await loadIdentity(home)).peerId, second.peerId)
    notStrictEqual(readApiToken(home), token)
    strictEqual(readConfig(home).name, 'Alice')
    await initHome(home, { force: true, name: 'Bob' })
    strictEqual(readConfig(home).name, 'Bob')
    deepStrictEqual(readdirSync(home).sort(), [API_TOKEN_FILE, CONFIG_FILE, KEYSTORE_FILE].sort(), 'no temp files')
  })

  it('tightens an existing home folder to 0700', async () => {
    mkdirSync(home, { recursive: true, mode: 0o755 })
    chmodSync(home, 0o755)
    await initHome(home)
    strictEqual(mode(home), 0o700)
    chmodSync(home, 0o777)
    ensureHome(home)
    strictEqual(mode(home), 0o700)
  })

  it('a seed gives a reproducible identity; a passphrase protects the key file', async () => {
    const a = await initHome(home, { seed: fixedBytes('home-seed', 32), passphrase: 'pw', logN: 10 })
    await rejectsParley(() => loadIdentity(home), 'PassphraseRequiredError')
    await rejectsParley(() => loadIdentity(home, 'wrong'), 'WrongPassphraseError')
    strictEqual((await loadIdentity(home, 'pw')).peerId, a.peerId)
    const other = join(base, 'other')
    strictEqual((await initHome(other, { seed: fixedBytes('home-seed', 32) })).peerId, a.peerId)
  })

  it('refuses a bad display name before creating anything', async () => {
    await rejectsParley(() => initHome(home, { name: '   ' }), 'ConfigError')
    await rejectsParley(() => initHome(home, { name: 'x'.repeat(65) }), 'ConfigError')
    await rejectsParley(() => initHome(home, { name: 'bell\u0007' }), 'ConfigError')
    strictEqual(existsSync(home), false)
  })

  it('checkDisplayName trims, NFC-normalises and bounds names', () => {
    strictEqual(checkDisplayName('  Zoë  '), 'Zoë')
    strictEqual(checkDisplayName('Zoe\u0308'), 'Zo\u00eb')
    strictEqual(checkDisplayName('x'.repeat(64)), 'x'.repeat(64))
    for (const bad of ['', ' ', 'x'.repeat(65), 'a\nb', 'a\u0000', '\u001b[31mred']) {
      throwsParley(() => checkDisplayName(bad), 'ConfigError')
    }
  })

  it('readConfig: missing file is the default; bad files are ConfigError with the path; unknown keys are kept', () => {
    mkdirSync(home, { recursive: true })
    deepStrictEqual(readConfig(home), { version: 1 })
    const path = join(home, CONFIG_FILE)
    for (const [content, why] of [
      ['{', /not valid JSON/],
      ['[]', /expected an object/],
      ['null', /expected an object/],
      ['{"version":2}', /unsupported version/],
      ['{"name":"x"}', /unsupported version/],
      ['{"version":1,"name":5}', /name must be a string/],
      ['{"version":1,"name":"a\\u0007"}', /control characters/]
    ] as const) {
      writeFileSync(path, content)
      const err = throwsParley(() => readConfig(home), 'ConfigError', why)
      ok(err.message.includes(path) || why.source.includes('control'), err.message)
    }
    writeConfig(home, { version: 1, name: 'A', future: { x: 1 } })
    strictEqual(mode(path), 0o600)
    deepStrictEqual(readConfig(home), { version: 1, name: 'A', future: { x: 1 } })
    writeFileSync(path, 'x'.repeat(256 * 1024 + 1))
    throwsParley(() => readConfig(home), 'ConfigError', /cap/)
  })

  it('writeApiToken makes a new 256-bit token each time, 0600', () => {
    mkdirSync(home, { recursive: true })
    const a = writeApiToken(home)
    const b = writeApiToken(home)
    notStrictEqual(a, b)
    strictEqual(readApiToken(home), b)
    strictEqual(Buffer.from(b, 'base64url').byteLength, 32)
    strictEqual(mode(join(home, API_TOKEN_FILE)), 0o600)
  })

  it('resolveHome: --home, then $PARLEY_HOME, then ~/.parley', () => {
    strictEqual(resolveHome('rel/dir', { PARLEY_HOME: '/env' }), resolve('rel/dir'))
    strictEqual(resolveHome(undefined, { PARLEY_HOME: '/env/home' }), '/env/home')
    strictEqual(resolveHome('', { PARLEY_HOME: '' }), join(homedir(), '.parley'))
    strictEqual(resolveHome(undefined, {}), join(homedir(), '.parley'))
  })
})

import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { type ApiServer, createApiServer, DAEMON_FILE, type DaemonInfo } from '../api/index.ts'
import { STORE_FILE } from '../constants.ts'
import { ConfigError, DaemonRunningError } from '../errors.ts'
import {
  openHomeIdentity,
  type PassphraseSource,
  PRIVATE_FILE_MODE,
  readApiToken,
  readConfig,
  writePrivateFileAtomic
} from '../identity/index.ts'
import { createMessenger, type Messenger, type MessengerInit } from '../messenger/index.ts'
import { SERVER_LIMITS, USER_LIMITS } from '../net/index.ts'
import { createStore, type Store } from '../store/index.ts'
import { readAttestation, readTrust, writeAttestation, writeTrust } from './node-files.ts'

const log = logger('parley:daemon')
const LOCK_FILE = 'daemon.lock'

export interface DaemonOptions {
  home: string
  passphrase?: PassphraseSource
  listen?: string[]
  bootstrap?: string[]
  /** HOST:PORT of the API. @default 127.0.0.1:7447 (or the next free port) */
  api?: string
  mdns?: boolean
  /** Always-on node limits (more connections and streams). */
  server?: boolean
  /** Extra messenger settings (tests: backoff, transport). */
  messenger?: Partial<MessengerInit>
}

export interface Daemon {
  readonly messenger: Messenger
  readonly api: ApiServer
  readonly store: Store
  readonly info: DaemonInfo
  stop(): Promise<void>
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Take `<home>/daemon.lock` (O_EXCL), replacing a lock whose process is gone. */
function acquireLock(home: string): () => void {
  const path = join(home, LOCK_FILE)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', PRIVATE_FILE_MODE)
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      return () => rmSync(path, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
      if (Number.isInteger(pid) && pid > 0 && pidAlive(pid) && pid !== process.pid) {
        throw new DaemonRunningError(`a Parley daemon (pid ${pid}) is already running on ${home}`)
      }
      rmSync(path, { force: true })
    }
  }
  throw new DaemonRunningError(`cannot lock ${home}`)
}

function parseHostPort(value: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(value)
  const port = m === null ? Number.NaN : Number(m[2])
  if (m === null || port > 65535) throw new ConfigError(`--api takes HOST:PORT, got ${JSON.stringify(value)}`)
  const host = m[1]!.replace(/^\[|\]$/g, '')
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
    throw new ConfigError('the API listens on loopback only (127.0.0.1, ::1 or localhost)')
  }
  return { host, port }
}

/** Run a node and its API on a home folder until stop(). */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { home } = options
  const config = readConfig(home)
  const { host, port } = parseHostPort(options.api ?? '127.0.0.1:7447')
  const opened = await openHomeIdentity(home, options.passphrase)
  const attestation = readAttestation(home)
  const release = acquireLock(home)
  let store: Store | undefined
  let messenger: Messenger | undefined
  let api: ApiServer | undefined
  try {
    store = createStore({ path: join(home, STORE_FILE) })
    messenger = await createMessenger({
      identity: opened.identity,
      store,
      ...(config.name !== undefined ? { name: config.name } : {}),
      ...(options.listen !== undefined && options.listen.length > 0 ? { listen: options.listen } : {}),
      ...(options.bootstrap !== undefined ? { bootstrap: options.bootstrap } : {}),
      ...(options.mdns !== undefined ? { mdns: options.mdns } : {}),
      limits: options.server === true ? SERVER_LIMITS : USER_LIMITS,
      saveIdentity: () => opened.save(),
      trust: readTrust(home),
      saveTrust: (trust) => writeTrust(home, trust),
      ...(attestation !== undefined ? { attestation } : {}),
      saveAttestation: (bundle) => writeAttestation(home, bundle),
      ...options.messenger
    })
    await messenger.start()
    api = await createApiServer({ messenger, token: readApiToken(home), host, port })
  } catch (err) {
    await api?.close().catch(() => {})
    await messenger?.stop().catch(() => {})
    store?.close()
    release()
    throw err
  }
  const info: DaemonInfo = {
    peerId: messenger.peerId,
    addresses: messenger.addresses(),
    api: api.url,
    pid: process.pid
  }
  writePrivateFileAtomic(join(home, DAEMON_FILE), `${JSON.stringify(info, null, 2)}\n`)
  log('daemon ready: %s at %s', info.peerId, info.api)

  let stopping: Promise<void> | undefined
  const m = messenger
  const a = api
  const s = store
  return {
    messenger: m,
    api: a,
    store: s,
    info,
    stop() {
      stopping ??= (async () => {
        rmSync(join(home, DAEMON_FILE), { force: true })
        await a.close().catch(() => {})
        await m.stop().catch((err: Error) => log.error('stopping the node: %s', err.message))
        s.close()
        release()
      })()
      return stopping
    }
  }
}

/** True if a daemon seems to run on this home (a live pid in the lock file). */
export function daemonRunning(home: string): boolean {
  const path = join(home, LOCK_FILE)
  if (!existsSync(path)) return false
  const pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
  return Number.isInteger(pid) && pid > 0 && pidAlive(pid)
}

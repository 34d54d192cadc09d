import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { type ApiServer, createApiServer, DAEMON_FILE, type DaemonInfo } from '../api/index.ts'
import { STORE_FILE } from '../constants.ts'
import { ConfigError } from '../errors.ts'
import {
  openHomeIdentity,
  type PassphraseSource,
  readApiToken,
  readConfig,
  writePrivateFileAtomic
} from '../identity/index.ts'
import { createMessenger, type Messenger, type MessengerInit } from '../messenger/index.ts'
import { SERVER_LIMITS, USER_LIMITS } from '../net/index.ts'
import { createStore, type Store } from '../store/index.ts'
import { acquireLock } from './daemon-lock.ts'
import { readAttestation, readTrust, writeAttestation, writeTrust } from './node-files.ts'

const log = logger('parley:daemon')

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

export { daemonRunning } from './daemon-lock.ts'

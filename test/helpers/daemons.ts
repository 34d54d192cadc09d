/**
 * Daemons for the API, CLI and end-to-end tests: in-process (`startDaemon` on a temporary home,
 * reached over real HTTP) and as real `parley start` child processes, each tracked so that a test's
 * afterEach can kill whatever it started, whatever happened.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Daemon, startDaemon } from '../../src/cli/daemon.ts'
import { STORE_FILE } from '../../src/constants.ts'
import { initHome } from '../../src/identity/index.ts'
import type { MessengerInit } from '../../src/messenger/index.ts'
import { createStore, type Message, type Store } from '../../src/store/index.ts'
import { CLI_ENTRY, type CliResult } from './cli.ts'

/** Loopback connections are exempt from the per-IP inbound connection rate limit in tests. */
export const LOOPBACK_ALLOW = ['/ip4/127.0.0.1/ipcidr/32']

/** A temporary folder for homes, removed by cleanup(). */
export function tempRoot(prefix = 'parley-e2e-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) }
}

/** Create a node home (identity, config, API token) and return its PeerId. */
export async function makeHome(home: string, name?: string): Promise<string> {
  const identity = await initHome(home, name !== undefined ? { name } : {})
  return identity.peerId
}

export function readToken(home: string): string {
  return readFileSync(join(home, 'api-token'), 'utf8').trim()
}

/** A parsed JSON response, walked freely by the tests. */
// biome-ignore lint/suspicious/noExplicitAny: tests read fields of parsed JSON without declaring every shape
export type AnyJson = any

export interface HttpResult {
  status: number
  headers: Headers
  text: string
  /** The parsed body, or undefined if it was not JSON. */
  json: AnyJson
}

export interface CallInit {
  /** Sent as JSON. */
  body?: unknown
  /** Sent as is (overrides body). */
  raw?: string | Uint8Array<ArrayBuffer>
  /** @default 'application/json' when there is a body */
  contentType?: string | null
  /** The bearer token; null sends no authorization header. @default the node's token */
  token?: string | null
  headers?: Record<string, string>
  timeoutMs?: number
}

/** One HTTP request over a real socket. */
export async function httpCall(url: string, token: string, method: string, path: string, init: CallInit = {}) {
  const headers: Record<string, string> = { ...init.headers }
  const bearer = init.token === undefined ? token : init.token
  if (bearer !== null) headers.authorization = `Bearer ${bearer}`
  let body: string | Uint8Array<ArrayBuffer> | undefined
  if (init.raw !== undefined) body = init.raw
  else if (init.body !== undefined) body = JSON.stringify(init.body)
  if (body !== undefined && init.contentType !== null) headers['content-type'] = init.contentType ?? 'application/json'
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
    signal: AbortSignal.timeout(init.timeoutMs ?? 30_000)
  })
  const text = await res.text()
  let json: unknown
  try {
    json = text === '' ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json } as HttpResult
}

/** Poll until `check` returns a value other than undefined/false, or throw after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 100
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastErr: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined && v !== false) return v
    } catch (err) {
      lastErr = err
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`)
    }
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

export interface LocalNode {
  readonly home: string
  readonly daemon: Daemon
  readonly token: string
  readonly url: string
  readonly peerId: string
  readonly addresses: string[]
  call(method: string, path: string, init?: CallInit): Promise<HttpResult>
  stop(): Promise<void>
}

export interface LocalNodeInit {
  home: string
  bootstrap?: string[]
  listen?: string[]
  messenger?: Partial<MessengerInit>
}

/** `startDaemon` in this process on loopback, with an ephemeral API port and no mDNS. */
export async function startLocalNode(init: LocalNodeInit): Promise<LocalNode> {
  const daemon = await startDaemon({
    home: init.home,
    listen: init.listen ?? ['/ip4/127.0.0.1/tcp/0'],
    api: '127.0.0.1:0',
    mdns: false,
    ...(init.bootstrap !== undefined ? { bootstrap: init.bootstrap } : {}),
    messenger: { allow: LOOPBACK_ALLOW, ...init.messenger }
  })
  const token = readToken(init.home)
  return {
    home: init.home,
    daemon,
    token,
    url: daemon.info.api,
    peerId: daemon.info.peerId,
    addresses: daemon.info.addresses,
    call: (method, path, callInit) => httpCall(daemon.info.api, token, method, path, callInit),
    stop: () => daemon.stop()
  }
}

export interface DaemonProcess {
  readonly home: string
  readonly child: ChildProcess
  readonly pid: number
  /** Everything printed so far. */
  readonly stdout: string
  readonly stderr: string
  readonly peerId: string
  /** The "listening …" lines. */
  readonly addresses: string[]
  readonly api: string
  readonly token: string
  /** Settles when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  running(): boolean
  call(method: string, path: string, init?: CallInit): Promise<HttpResult>
}

export interface StartProcessInit {
  home: string
  bootstrap?: string[]
  /** @default ['/ip4/127.0.0.1/tcp/0'] */
  listen?: string[]
  /** @default 60_000 */
  readyTimeoutMs?: number
}

/** A raw child process of `node src/cli/bin.ts ARGS`, with its output collected. */
export interface SpawnedParley {
  readonly child: ChildProcess
  readonly output: { stdout: string; stderr: string }
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/**
 * Child processes started by a test. `killAll()` (in afterEach) SIGKILLs the ones still running and
 * waits for them; only processes spawned here are ever signalled.
 */
export class ProcessGroup {
  readonly #children = new Set<SpawnedParley>()

  /** Spawn `parley ARGS` (from source, on this Node). */
  spawn(args: string[], env: NodeJS.ProcessEnv = {}): SpawnedParley {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, PARLEY_HOME: '', ...env }
    delete childEnv.PARLEY_PASSPHRASE
    delete childEnv.PARLEY_DEBUG
    delete childEnv.DEBUG
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    const output = { stdout: '', stderr: '' }
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      output.stdout += d
    })
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      output.stderr += d
    })
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }))
      child.once('error', () => resolve({ code: null, signal: null }))
    })
    const entry = { child, output, exited }
    this.#children.add(entry)
    void exited.then(() => this.#children.delete(entry))
    live.add(child)
    void exited.then(() => live.delete(child))
    return entry
  }

  /** Run `parley ARGS` to the end (SIGKILL after `timeoutMs`), like runParley but tracked by the group. */
  async run(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
    const p = this.spawn(args, options.env)
    const timer = setTimeout(() => p.child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    try {
      const { code } = await p.exited
      return { code, stdout: p.output.stdout, stderr: p.output.stderr }
    } finally {
      clearTimeout(timer)
    }
  }

  /** `parley start` on a home; resolves once it printed `ready`. */
  async startDaemon(init: StartProcessInit): Promise<DaemonProcess> {
    const args = ['start', '--home', init.home, '--api', '127.0.0.1:0', '--no-mdns']
    for (const l of init.listen ?? ['/ip4/127.0.0.1/tcp/0']) args.push('--listen', l)
    for (const b of init.bootstrap ?? []) args.push('--bootstrap', b)
    const spawned = this.spawn(args)
    const { child, output, exited } = spawned
    let done = false
    const timeoutMs = init.readyTimeoutMs ?? 60_000
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string): void => {
        if (done) return
        done = true
        clearTimeout(timer)
        reject(new Error(`parley start ${why}\nstdout: ${output.stdout}\nstderr: ${output.stderr}`))
      }
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        fail(`was not ready within ${timeoutMs} ms`)
      }, timeoutMs)
      child.stdout!.on('data', () => {
        if (!done && /^ready$/m.test(output.stdout)) {
          done = true
          clearTimeout(timer)
          resolve()
        }
      })
      void exited.then(({ code, signal }) => fail(`exited before ready (code ${code}, signal ${signal})`))
    })
    const lines = output.stdout.split('\n')
    const peerId = lines.find((l) => l.startsWith('PeerId '))?.slice(7) ?? ''
    const api = lines.find((l) => l.startsWith('API '))?.slice(4) ?? ''
    const addresses = lines.filter((l) => l.startsWith('listening ')).map((l) => l.slice(10))
    const token = readToken(init.home)
    let exitedNow = false
    void exited.then(() => {
      exitedNow = true
    })
    return {
      home: init.home,
      child,
      pid: child.pid!,
      get stdout() {
        return output.stdout
      },
      get stderr() {
        return output.stderr
      },
      peerId,
      addresses,
      api,
      token,
      exited,
      running: () => !exitedNow,
      call: (method, path, callInit) => httpCall(api, token, method, path, callInit)
    }
  }

  /** SIGKILL every child of this group still running and wait for them to go. */
  async killAll(): Promise<void> {
    const all = [...this.#children]
    for (const c of all) {
      if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL')
    }
    await Promise.all(all.map((c) => c.exited))
  }
}

/** Every child spawned by any group, killed if the test process exits with some still running. */
const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
})

/** Send a signal and wait for the exit. */
export async function stopProcess(
  p: { child: ChildProcess; exited: DaemonProcess['exited'] },
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 30_000
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  p.child.kill(signal)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no exit within ${timeoutMs} ms of ${signal}`)), timeoutMs)
  })
  try {
    return await Promise.race([p.exited, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Open a home's SQLite store (its daemon must not be running), run `fn`, close it. */
export function withStore<T>(home: string, fn: (store: Store) => T): T {
  const store = createStore({ path: join(home, STORE_FILE) })
  try {
    return fn(store)
  } finally {
    store.close()
  }
}

/** Every message in a store, in pages (listMessages caps a page at 1000). */
export function allMessages(store: Store, peer?: string): Message[] {
  const out: Message[] = []
  let before: string | undefined
  for (;;) {
    const page = store.listMessages({
      limit: 1000,
      ...(peer !== undefined ? { peer } : {}),
      ...(before !== undefined ? { before } : {})
    })
    out.push(...page)
    if (page.length < 1000) return out
    before = page[page.length - 1]!.id
  }
}

/** The TCP port of a multiaddr string like /ip4/127.0.0.1/tcp/1234/p2p/…. */
export function tcpPort(addr: string): number {
  const m = /\/tcp\/(\d+)/.exec(addr)
  if (m === null) throw new Error(`no TCP port in ${addr}`)
  return Number(m[1])
}

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ApiRequestError, DaemonNotRunningError } from '../errors.ts'
import { readApiToken, readFileCapped } from '../identity/index.ts'

/** `<home>/daemon.json`, written by `parley start` once it is ready. */
export const DAEMON_FILE = 'daemon.json'

export interface DaemonInfo {
  peerId: string
  addresses: string[]
  api: string
  pid: number
}

export interface ApiClientInit {
  /** Read the API address and token from this home. */
  home?: string
  url?: string
  token?: string
  /** @default 30_000 */
  timeoutMs?: number
}

export interface SseEvent {
  event: string
  data: unknown
}

export interface ApiClient {
  readonly url: string
  request<T = unknown>(method: string, path: string, body?: unknown, options?: { timeoutMs?: number }): Promise<T>
  /** Server-sent events until `signal` aborts; the first is a synthetic `open` once subscribed. */
  events(signal: AbortSignal): AsyncGenerator<SseEvent>
}

/** Read `<home>/daemon.json`, or undefined if the daemon has not written one. */
export function readDaemonInfo(home: string): DaemonInfo | undefined {
  const path = join(home, DAEMON_FILE)
  if (!existsSync(path)) return undefined
  try {
    const info = JSON.parse(readFileCapped(path, 64 * 1024).toString('utf8')) as DaemonInfo
    if (typeof info.api !== 'string' || typeof info.pid !== 'number') return undefined
    return info
  } catch {
    return undefined
  }
}

const NOT_RUNNING = 'the Parley daemon is not running for this home (start it with `parley start`)'

/** A client of a node's HTTP API. */
export function createApiClient(init: ApiClientInit): ApiClient {
  let url = init.url
  let token = init.token
  if (init.home !== undefined) {
    const info = readDaemonInfo(init.home)
    if (info === undefined) throw new DaemonNotRunningError(NOT_RUNNING)
    url ??= info.api
    try {
      token ??= readApiToken(init.home)
    } catch {
      throw new DaemonNotRunningError(`no API token in ${init.home} (run \`parley init\`)`)
    }
  }
  if (url === undefined || token === undefined) throw new DaemonNotRunningError(NOT_RUNNING)
  const base = url.replace(/\/$/, '')
  const headers = { authorization: `Bearer ${token}` }
  const timeoutMs = init.timeoutMs ?? 30_000

  const call = async (method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> => {
    try {
      return await fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal !== undefined ? { signal } : {})
      })
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause
      if (cause?.code === 'ECONNREFUSED' || cause?.code === 'ECONNRESET') throw new DaemonNotRunningError(NOT_RUNNING)
      if ((err as Error).name === 'TimeoutError')
        throw new ApiRequestError(0, 'Timeout', `the daemon did not answer ${method} ${path} in time`)
      throw err
    }
  }

  return {
    url: base,
    async request<T>(method: string, path: string, body?: unknown, options: { timeoutMs?: number } = {}): Promise<T> {
      const res = await call(method, path, body, AbortSignal.timeout(options.timeoutMs ?? timeoutMs))
      const text = await res.text()
      let json: unknown
      try {
        json = text === '' ? undefined : JSON.parse(text)
      } catch {
        json = undefined
      }
      if (!res.ok) {
        const e = (json ?? {}) as { error?: string; message?: string }
        throw new ApiRequestError(res.status, e.error ?? `HTTP${res.status}`, e.message ?? `HTTP ${res.status}`)
      }
      return json as T
    },
    async *events(signal) {
      const res = await call('GET', '/v1/events', undefined, signal)
      if (!res.ok || res.body === null) throw new ApiRequestError(res.status, 'EventsUnavailable', `HTTP ${res.status}`)
      // the stream is live from here: callers may act, knowing no later event is missed
      yield { event: 'open', data: null }
      const decoder = new TextDecoder()
      let buffer = ''
      try {
        for await (const chunk of res.body) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true })
          let end = buffer.indexOf('\n\n')
          while (end >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            end = buffer.indexOf('\n\n')
            let event = 'message'
            let data = ''
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) event = line.slice(7)
              else if (line.startsWith('data: ')) data += line.slice(6)
            }
            if (data !== '') yield { event, data: JSON.parse(data) }
          }
        }
      } catch (err) {
        if (signal.aborted) return
        throw err
      }
    }
  }
}

import { type Command, InvalidArgumentError } from 'commander'
import { type ApiClient, createApiClient } from '../api/client.ts'
import { resolveHome } from '../identity/index.ts'

/** Where the CLI reads and writes: the process's streams, or a test's buffers. */
export interface CliIo {
  stdout(text: string): void
  stderr(text: string): void
  env: NodeJS.ProcessEnv
  /** Whether stdin is a terminal we may prompt on. */
  interactive: boolean
  /** Ask for a secret without echoing it; undefined when there is no terminal. */
  readSecret(prompt: string): Promise<string | undefined>
  /** Resolves when the user asks to stop (SIGINT/SIGTERM) — for long-running commands. */
  untilSignal(): Promise<string>
}

/** What every command gets: I/O and helpers that apply the common options. */
export interface CliContext {
  io: CliIo
  /** The home folder for these options: --home, else $PARLEY_HOME, else ~/.parley. */
  home(options: { home?: string }): string
  /** Print data: JSON when --json, else the text form. */
  print(options: { json?: boolean }, data: unknown, text: () => string): void
  /** The passphrase for an encrypted key file: $PARLEY_PASSPHRASE, else a prompt on a terminal. */
  passphrase(): Promise<string | undefined>
  /** A client of the daemon running on this home (throws DaemonNotRunningError). */
  api(options: { home?: string }): ApiClient
}

export type RegisterCommand = (program: Command, ctx: CliContext) => void

export function createContext(io: CliIo): CliContext {
  return {
    io,
    home: (options) => resolveHome(options.home, io.env),
    print(options, data, text) {
      io.stdout(options.json === true ? `${JSON.stringify(data, null, 2)}\n` : `${text()}\n`)
    },
    api: (options) => createApiClient({ home: resolveHome(options.home, io.env) }),
    async passphrase() {
      const fromEnv = io.env.PARLEY_PASSPHRASE
      if (fromEnv !== undefined) return fromEnv
      if (!io.interactive) return undefined
      return io.readSecret('Passphrase: ')
    }
  }
}

/** Add the options every command takes. */
export function withHome(command: Command): Command {
  return command.option('--home <dir>', 'node home folder (default: $PARLEY_HOME, else ~/.parley)')
}

/** Add --json to a command that prints data. */
export function withJson(command: Command): Command {
  return command.option('--json', 'print JSON')
}

/** commander helper for repeatable options: `--listen A --listen B`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** Parse a positive integer option, or throw a UsageError-like message through commander. */
export function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value)
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}`)
    }
    return n
  }
}

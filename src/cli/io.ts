import { createInterface } from 'node:readline'
import type { CliIo } from './context.ts'

/** Prompt on the terminal with echo off. */
function readSecret(prompt: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return Promise.resolve(undefined)
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true })
    const rlAny = rl as unknown as { _writeToOutput: (s: string) => void }
    let muted = false
    rlAny._writeToOutput = (s: string) => {
      if (!muted) process.stderr.write(s)
    }
    rl.question(prompt, (answer) => {
      rl.close()
      process.stderr.write('\n')
      resolve(answer)
    })
    muted = true
  })
}

/** The real process's I/O. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    interactive: process.stdin.isTTY === true,
    readSecret,
    untilSignal: () =>
      new Promise((resolve) => {
        const on = (signal: string) => () => {
          process.off('SIGINT', onInt)
          process.off('SIGTERM', onTerm)
          resolve(signal)
        }
        const onInt = on('SIGINT')
        const onTerm = on('SIGTERM')
        process.on('SIGINT', onInt)
        process.on('SIGTERM', onTerm)
      })
  }
}

let strayRejectionsHandled = false
/**
 * A long-running node (`parley start`, `parley sim`) survives a promise rejection nobody handled:
 * libp2p's internals leak a few (a kad-dht liveness ping racing another on one connection), and
 * Node's default would end every node in the process for it. It is reported on stderr, once per kind.
 */
export function surviveStrayRejections(report: (line: string) => void): void {
  if (strayRejectionsHandled) return
  strayRejectionsHandled = true
  const seen = new Set<string>()
  process.on('unhandledRejection', (reason) => {
    const what = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason)
    if (seen.has(what) || seen.size > 100) return
    seen.add(what)
    report(`parley: ignored an unhandled rejection (${what.slice(0, 300)})\n`)
  })
}

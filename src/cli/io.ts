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

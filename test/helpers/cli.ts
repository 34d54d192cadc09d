import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CliIo } from '../../src/cli/index.ts'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** The CLI entry run from source (Node 24 strips the types), so tests never run a stale build. */
export const CLI_ENTRY = join(REPO_ROOT, 'src/cli/bin.ts')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Run `parley ARGS` as a real child process. */
export function runParley(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
      env: { ...process.env, PARLEY_HOME: '', PARLEY_PASSPHRASE: undefined, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(options.input ?? '')
  })
}

/** An in-process CliIo that records output. */
export function memoryIo(env: NodeJS.ProcessEnv = {}): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout(text: string) {
      io.out += text
    },
    stderr(text: string) {
      io.err += text
    },
    env,
    interactive: false,
    readSecret: async () => undefined,
    untilSignal: () => new Promise<string>(() => {})
  }
  return io
}

/** A temporary folder removed by the returned cleanup. */
export function tempDir(prefix = 'parley-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) }
}

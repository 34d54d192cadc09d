/**
 * Time from `parley start` to ready, and the RSS of an idle node. Issue #3, "Benchmarks".
 *
 *   node scripts/bench-startup.ts [--runs N] [--idle-seconds S] [--entry src,dist] [--no-build] [--mdns]
 *
 * Each run spawns the real CLI (`node src/cli/bin.ts start` from source with type stripping, and
 * `node dist/cli/bin.js start` from the build) on a FRESH initialised home, and times it from spawn()
 * until stdout prints `ready` (node listening on TCP and WS on all interfaces, DHT up, API listening,
 * daemon.json written). The API goes on a free loopback port, mDNS is off unless --mdns (a LAN
 * query storm is not part of starting). After S seconds idle it reads VmRSS (and the peak, VmHWM) from
 * /proc/<pid>/status, then stops the daemon with SIGTERM and times its exit. References measured
 * side by side: a bare `node -e 0` (process start), `parley --help` (loading the CLI's modules), and
 * the RSS of an idle bare node process. Runs of the entries are interleaved; medians are printed.
 * dist/ is rebuilt (`tsc -p tsconfig.build.json`) when older than src/, unless --no-build.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { initHome } from '../src/identity/index.ts'
import { fmt, machine, median } from './bench-common.ts'

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'idle-seconds': { type: 'string', default: '5' },
    entry: { type: 'string', default: 'src,dist' },
    'no-build': { type: 'boolean', default: false },
    mdns: { type: 'boolean', default: false }
  }
})
const runs = Number(values.runs)
const idleSeconds = Number(values['idle-seconds'])
const ROOT = fileURLToPath(new URL('../', import.meta.url))
const ENTRIES: Record<string, string> = { src: join(ROOT, 'src/cli/bin.ts'), dist: join(ROOT, 'dist/cli/bin.js') }
const entries = values.entry.split(',').filter((e) => e in ENTRIES)

/** Newest mtime of the files under a folder with one of these endings. */
function newest(dir: string, ending: string): number {
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(ending)) t = Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs)
  }
  return t
}

if (entries.includes('dist')) {
  const stale = !existsSync(ENTRIES.dist!) || newest(join(ROOT, 'dist'), '.js') < newest(join(ROOT, 'src'), '.ts')
  if (stale && values['no-build']) {
    console.log('dist/ is older than src/ (or missing): skipping the dist entry (--no-build)')
    entries.splice(entries.indexOf('dist'), 1)
  } else if (stale) {
    console.log('dist/ is older than src/: building it (tsc -p tsconfig.build.json)…')
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'inherit']
      })
    } catch {
      // tsc still emits when it reports type errors; a missing entry is caught below
      console.log('tsc reported errors (the emitted files are used anyway)')
    }
    if (!existsSync(ENTRIES.dist!)) throw new Error('dist/cli/bin.js is missing after the build')
  }
}

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env }
  delete e.PARLEY_PASSPHRASE
  delete e.PARLEY_HOME
  delete e.DEBUG
  return e
}

/** Milliseconds from spawn until the process exits. */
function timeExit(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    const child = spawn(process.execPath, args, { stdio: 'ignore', env: env() })
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}`))
      else resolve(Number(process.hrtime.bigint() - t0) / 1e6)
    })
  })
}

function status(pid: number): { rssMb: number; hwmMb: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN)
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 }
}

interface StartRun {
  readyMs: number
  rssMb: number
  hwmMb: number
  stopMs: number
}

async function startOnce(entry: string): Promise<StartRun> {
  const home = mkdtempSync(join(tmpdir(), 'parley-bench-home-'))
  try {
    await initHome(home, { name: 'bench' })
    const args = [ENTRIES[entry]!, 'start', '--home', home, '--api', '127.0.0.1:0']
    if (!values.mdns) args.push('--no-mdns')
    const t0 = process.hrtime.bigint()
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env() })
    let out = ''
    let err = ''
    child.stderr.on('data', (d) => {
      err += d
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const readyMs = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready after 60 s: ${out}${err}`)), 60_000)
      child.stdout.on('data', (d) => {
        out += d
        if (/^ready$/m.test(out)) {
          clearTimeout(timer)
          resolve(Number(process.hrtime.bigint() - t0) / 1e6)
        }
      })
      void exited.then((code) => {
        clearTimeout(timer)
        reject(new Error(`exited ${code} before ready: ${out}${err}`))
      })
    })
    await sleep(idleSeconds * 1000)
    const { rssMb, hwmMb } = status(child.pid!)
    const s0 = process.hrtime.bigint()
    child.kill('SIGTERM')
    const code = await Promise.race([exited, sleep(15_000).then(() => 'timeout' as const)])
    if (code === 'timeout') {
      child.kill('SIGKILL')
      throw new Error('the daemon did not stop within 15 s of SIGTERM')
    }
    const stopMs = Number(process.hrtime.bigint() - s0) / 1e6
    if (code !== 0) throw new Error(`daemon exited ${code}: ${err}`)
    return { readyMs, rssMb, hwmMb, stopMs }
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

/** RSS of a bare node process that has been idle as long as the daemon. */
async function bareRss(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 1e9)'], { stdio: 'ignore', env: env() })
  await sleep(Math.min(idleSeconds, 2) * 1000)
  const { rssMb } = status(child.pid!)
  child.kill('SIGKILL')
  return rssMb
}

console.log(`parley start → ready, and idle RSS; ${machine()}; ${runs} runs per entry, fresh home each`)
console.log(
  `start args: --home <fresh> --api 127.0.0.1:0${values.mdns ? '' : ' --no-mdns'} (TCP + WS listeners on all interfaces)`
)
const results: Record<string, StartRun[]> = Object.fromEntries(entries.map((e) => [e, []]))
const refs: Record<string, number[]> = { bare: [], bareRss: [] }
for (const e of entries) refs[`help:${e}`] = []

for (let r = 0; r < runs; r++) {
  refs.bare!.push(await timeExit(['-e', '0']))
  refs.bareRss!.push(await bareRss())
  for (const e of entries) {
    refs[`help:${e}`]!.push(await timeExit([ENTRIES[e]!, '--help']))
    const run = await startOnce(e)
    results[e]!.push(run)
    console.log(
      `  run ${r + 1} ${e.padEnd(4)} ready ${fmt.ms(run.readyMs).padStart(9)}   idle RSS ${run.rssMb.toFixed(0)} MB ` +
        `(peak ${run.hwmMb.toFixed(0)} MB)   stop ${fmt.ms(run.stopMs)}`
    )
  }
}

console.log(`medians of ${runs}:`)
console.log(`  node -e 0 (bare process start)         ${fmt.ms(median(refs.bare!)).padStart(9)}`)
for (const e of entries) {
  const list = results[e]!
  const ready = median(list.map((x) => x.readyMs))
  const help = median(refs[`help:${e}`]!)
  console.log(`  parley --help (${e}, loads the CLI)     ${fmt.ms(help).padStart(9)}`)
  console.log(
    `  parley start → ready (${e})          ${fmt.ms(ready).padStart(9)}   = ${(ready / median(refs.bare!)).toFixed(1)}× bare node, ` +
      `${fmt.ms(ready - help)} more than --help`
  )
  console.log(
    `  idle RSS after ${idleSeconds} s (${e})             ${median(list.map((x) => x.rssMb)).toFixed(0)} MB` +
      ` (peak ${median(list.map((x) => x.hwmMb)).toFixed(0)} MB; bare idle node ${median(refs.bareRss!).toFixed(0)} MB)`
  )
  console.log(`  SIGTERM → exit (${e})                  ${fmt.ms(median(list.map((x) => x.stopMs))).padStart(9)}`)
}

/** tuneSimulationProcess, in a child process of its own (it changes process-wide settings). */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { SIMULATION_BUFFER_POOL_SIZE } from '../../src/sim/node-preset.ts'

const run = promisify(execFile)
const preset = new URL('../../src/sim/node-preset.ts', import.meta.url).href

/** What a fresh Node process reports about small Buffers and Error stacks, tuned or not. */
async function probe(tune: boolean, env: NodeJS.ProcessEnv = {}): Promise<{ slab: number; stackLimit: number }> {
  const script = `
    ${tune ? `(await import(${JSON.stringify(preset)})).tuneSimulationProcess()` : ''}
    // the pool in use when the setting changes is used up first: past it, each new slab has the new size
    let slab = 0
    for (let i = 0; i < 2000; i++) slab = Buffer.allocUnsafe(40).buffer.byteLength
    console.log(JSON.stringify({ slab, stackLimit: Error.stackTraceLimit }))`
  const { DEBUG: _, PARLEY_DEBUG: __, ...rest } = process.env
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...rest, ...env } })
  return JSON.parse(stdout)
}

describe('tuneSimulationProcess', function () {
  this.timeout(30_000)

  it("makes a small Buffer a slice of an 8 KiB slab, not of Node 24's 64 KiB one", async () => {
    const plain = await probe(false)
    const tuned = await probe(true)
    assert.equal(SIMULATION_BUFFER_POOL_SIZE, 8192)
    assert.equal(plain.slab, 65_536, 'setup: this Node pools small Buffers in 64 KiB slabs')
    assert.equal(tuned.slab, SIMULATION_BUFFER_POOL_SIZE)
  })

  it('drops Error stack traces unless PARLEY_DEBUG is set, whatever DEBUG logs', async () => {
    assert.equal((await probe(false)).stackLimit, 10, "setup: V8's default")
    assert.equal((await probe(true)).stackLimit, 0)
    // DEBUG=parley:sim prints a run's progress; that run must cost what a quiet one does
    assert.equal((await probe(true, { DEBUG: 'parley:*' })).stackLimit, 0)
    assert.equal((await probe(true, { PARLEY_DEBUG: '1' })).stackLimit, 10)
  })
})

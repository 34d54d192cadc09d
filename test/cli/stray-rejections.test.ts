/** A long-running command survives a promise rejection nobody handled (libp2p leaks a few). */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const io = fileURLToPath(new URL('../../src/cli/io.ts', import.meta.url))

function run(install: boolean): { status: number | null; stdout: string; stderr: string } {
  const script = `
    import { surviveStrayRejections } from ${JSON.stringify(io)}
    if (${install}) surviveStrayRejections((line) => process.stderr.write(line))
    Promise.reject(new Error('boom'))
    Promise.reject(new Error('boom'))
    setTimeout(() => console.log('alive'), 200)
  `
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('surviveStrayRejections', function () {
  this.timeout(30_000)

  it('keeps the process running and reports the rejection once', () => {
    const r = run(true)
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stdout.trim(), 'alive')
    assert.equal(r.stderr.match(/ignored an unhandled rejection \(Error: boom\)/g)?.length, 1, r.stderr)
  })

  it('without it, Node ends the process (what a node would otherwise suffer)', () => {
    const r = run(false)
    assert.notEqual(r.status, 0)
    assert.ok(!r.stdout.includes('alive'))
  })
})

import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { progressLine } from '../../src/cli/commands/sim/index.ts'
import { runParley, tempDir } from '../helpers/cli.ts'

describe('cli: parley sim', function () {
  this.timeout(300_000)

  it('runs a scenario file with flags on top and prints summary.json with --json', async () => {
    const dir = tempDir()
    try {
      const scenario = join(dir.path, 'scenario.json')
      writeFileSync(
        scenario,
        JSON.stringify({
          nodes: 8,
          workload: { messages: 50, duration: 2, lookups: 4 },
          faults: [{ type: 'misbehave', fraction: 0.2 }],
          business: { name: 'Acme Bank', customers: 0.5 },
          settle: 30
        })
      )
      const out = join(dir.path, 'out')
      const r = await runParley(
        ['sim', '--scenario', scenario, '--messages', '10', '--seed', '4', '--out', out, '--json'],
        {
          timeoutMs: 280_000
        }
      )
      assert.equal(r.code, 0, r.stderr)
      const summary = JSON.parse(r.stdout)
      assert.equal(summary.nodes, 8)
      assert.equal(summary.seed, 4)
      assert.equal(summary.messages.planned, 10, 'the flag overrides the file')
      assert.equal(summary.faults.misbehaving, 1)
      // every message is delivered, or addressed to the misbehaving node (which drops it)
      assert.equal(summary.messages.delivered + summary.messages.undeliverable, summary.messages.sent)
      assert.equal(summary.messages.lost, 0)
      assert.ok((summary.verification.verified ?? 0) >= 1, JSON.stringify(summary.verification))
      assert.deepEqual(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).messages, summary.messages)
      assert.ok(existsSync(join(out, 'events.csv')))
      // no terminal: progress goes to stderr as lines, one per phase at least, and never to stdout
      const lines = r.stderr.trim().split('\n')
      for (const phase of ['forming', 'running', 'done']) {
        assert.ok(
          lines.some((l) =>
            new RegExp(
              `^\\d\\d:\\d\\d:\\d\\d ${phase}: \\d+/8 nodes started, \\d+ published(, probe \\d+/\\d+ found)?, \\d+/10 messages delivered$`
            ).test(l)
          ),
          `no ${phase} line in ${r.stderr}`
        )
      }
      // the workload starts once every node has published its profile
      assert.ok(
        lines.some((l) => / running: 8\/8 nodes started, 8 published, /.test(l)),
        `no running line with 8 published in ${r.stderr}`
      )
    } finally {
      dir.cleanup()
    }
  })

  it('ends with a short summary that names every file of the report', async () => {
    const dir = tempDir()
    try {
      const out = join(dir.path, 'out')
      const r = await runParley(['sim', '--nodes', '4', '--messages', '3', '--duration', '1', '--out', out], {
        timeoutMs: 280_000
      })
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, /^Parley simulation: 4 nodes \(memory\)/)
      const listed = r.stdout.match(/^report {5}(.+)\/ \((.+)\)$/m)
      assert.ok(listed !== null, r.stdout)
      const files = listed[2]!.split(', ')
      for (const f of ['summary.json', 'events.csv', 'lookups.csv', 'forming.csv', 'forming.svg', 'latency-cdf.svg'])
        assert.ok(files.includes(f), `${f} not in ${listed[2]}`)
      for (const f of files) assert.ok(existsSync(join(listed[1]!, f)), f)
    } finally {
      dir.cleanup()
    }
  })

  it('refuses a bad scenario in one line with a non-zero exit', async () => {
    const dir = tempDir()
    try {
      const scenario = join(dir.path, 'bad.json')
      writeFileSync(scenario, JSON.stringify({ nodes: 10, faults: [{ type: 'partition', at: -1 }] }))
      const r = await runParley(['sim', '--scenario', scenario, '--out', join(dir.path, 'o')])
      assert.equal(r.code, 1)
      assert.equal(r.stderr.trim().split('\n').length, 1)
      assert.match(r.stderr, /^error: invalid scenario: /)
      const flags = await runParley(['sim', '--nodes', '0'])
      assert.equal(flags.code, 2)
      assert.match(flags.stderr, /--nodes must be a whole number/)
    } finally {
      dir.cleanup()
    }
  })

  it("a progress line names the published nodes, and the routable check's last probes only while forming", () => {
    const p = {
      phase: 'forming' as const,
      started: 2500,
      nodes: 2500,
      published: 2480,
      sent: 0,
      delivered: 0,
      planned: 300
    }
    assert.equal(progressLine(p), 'forming: 2500/2500 nodes started, 2480 published, 0/300 messages delivered')
    const probing = { ...p, published: 2500, probe: { found: 9, of: 10 } }
    assert.equal(
      progressLine(probing),
      'forming: 2500/2500 nodes started, 2500 published, probe 9/10 found, 0/300 messages delivered'
    )
    assert.equal(
      progressLine({ ...probing, republishing: 31 }),
      'forming: 2500/2500 nodes started, 2500 published, probe 9/10 found, 31 republishing, 0/300 messages delivered'
    )
    assert.equal(
      progressLine({ ...probing, republishing: 31, phase: 'running', sent: 5, delivered: 3 }),
      'running: 2500/2500 nodes started, 2500 published, 3/300 messages delivered'
    )
  })
})

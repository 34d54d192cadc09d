import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Command } from 'commander'
import { UsageError } from '../../../errors.ts'
import { type CliContext, withHome, withJson } from '../../context.ts'
import { daemonRunning } from '../../daemon-lock.ts'
import { readTrust, writeTrust } from '../../node-files.ts'

function readInput(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(resolve(path)))
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

const iso = (ms: number): string => new Date(ms).toISOString()

/**
 * `parley trust add ROOTFILE | list | remove REGISTRYID | status FILE`. With a running daemon the
 * change goes through its API (it holds the trust and republishes); without one it edits
 * `<home>/trust.parley`, which the daemon reads when it starts.
 */
export function registerTrust(program: Command, ctx: CliContext): void {
  const trust = new Command('trust').description('registries this node trusts to verify businesses (none by default)')

  const add = new Command('add')
    .description("trust a registry: its root file (parley registry init's root)")
    .argument('<rootFile>')
  withJson(withHome(add)).action(async (file: string, options: { home?: string; json?: boolean }) => {
    const bytes = readInput(file)
    const home = ctx.home(options)
    let r: { registryId: string; rootVersion: number; added: boolean; updated: boolean }
    if (daemonRunning(home)) {
      r = await ctx.api(options).request('POST', '/v1/trust', { root: Buffer.from(bytes).toString('base64') })
    } else {
      const t = readTrust(home)
      r = t.addRoot(bytes)
      writeTrust(home, t)
    }
    ctx.print(options, r, () =>
      r.added
        ? `trusting registry ${r.registryId} (root version ${r.rootVersion})`
        : r.updated
          ? `registry ${r.registryId} moved to root version ${r.rootVersion}`
          : `registry ${r.registryId} already trusted at root version ${r.rootVersion}`
    )
  })

  const list = new Command('list').description('trusted registries, their root versions and status lists')
  withJson(withHome(list)).action(async (options: { home?: string; json?: boolean }) => {
    const home = ctx.home(options)
    let registries: Array<{
      registryId: string
      name: string
      rootVersion: number
      status: { seq: number; nextUpdate: string } | null
    }>
    if (daemonRunning(home)) {
      registries = (await ctx.api(options).request<{ registries: typeof registries }>('GET', '/v1/trust')).registries
    } else {
      registries = readTrust(home)
        .list()
        .map((r) => ({
          ...r,
          rootExpiresAt: iso(r.rootExpiresAt),
          addedAt: iso(r.addedAt),
          status:
            r.status === null
              ? null
              : { ...r.status, issuedAt: iso(r.status.issuedAt), nextUpdate: iso(r.status.nextUpdate) }
        }))
    }
    ctx.print(options, registries, () =>
      registries.length === 0
        ? 'no trusted registries'
        : registries
            .map(
              (r) =>
                `${r.registryId}  "${r.name}"  root v${r.rootVersion}  ${r.status === null ? 'no status list' : `status ${r.status.seq}, next update ${r.status.nextUpdate}`}`
            )
            .join('\n')
    )
  })

  const remove = new Command('remove').description('stop trusting a registry').argument('<registryId>')
  withJson(withHome(remove)).action(async (registryId: string, options: { home?: string; json?: boolean }) => {
    const home = ctx.home(options)
    if (daemonRunning(home)) {
      await ctx.api(options).request('DELETE', `/v1/trust/${encodeURIComponent(registryId)}`)
    } else {
      const t = readTrust(home)
      if (!t.remove(registryId)) throw new UsageError(`registry ${registryId} is not trusted here`)
      writeTrust(home, t)
    }
    ctx.print(options, { removed: registryId }, () => `no longer trusting ${registryId}`)
  })

  const status = new Command('status')
    .description(
      "import a registry's status list (parley registry status --out FILE); never goes back to a lower sequence"
    )
    .argument('<file>')
  withJson(withHome(status)).action(async (file: string, options: { home?: string; json?: boolean }) => {
    const bytes = readInput(file)
    const home = ctx.home(options)
    let r: { registryId: string; seq: number; changed: boolean }
    if (daemonRunning(home)) {
      r = await ctx.api(options).request('POST', '/v1/trust/status', { record: Buffer.from(bytes).toString('base64') })
    } else {
      const t = readTrust(home)
      r = t.importStatus(bytes)
      writeTrust(home, t)
    }
    ctx.print(options, r, () =>
      r.changed ? `status list ${r.seq} of ${r.registryId} imported` : `already holding status list ${r.seq}`
    )
  })

  trust.addCommand(add).addCommand(list).addCommand(remove).addCommand(status)
  program.addCommand(trust)
}

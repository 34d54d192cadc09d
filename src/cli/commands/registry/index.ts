import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Command } from 'commander'
import { UsageError } from '../../../errors.ts'
import { peerIdToBytes } from '../../../identity/index.ts'
import { type CliContext, positiveInt, withJson } from '../../context.ts'
import { initRegistry, issue, logHead, makeStatus, openRegistry, revoke, rotate } from './registry-home.ts'

function requireHome(options: { home?: string }): string {
  if (options.home === undefined) throw new UsageError('--home RDIR is required (the registry folder)')
  return resolve(options.home)
}

function writeOut(path: string, data: Uint8Array): string {
  const full = resolve(path)
  writeFileSync(full, data, { mode: 0o644 })
  return full
}

/** `parley registry …`: run a registry that verifies businesses. */
export function registerRegistry(program: Command, ctx: CliContext): void {
  const registry = new Command('registry').description('run a registry: issue and revoke business attestations')

  const init = new Command('init')
    .description('create a registry: root keys (2 of 3), an issuing key, a status key, root version 1')
    .requiredOption('--home <rdir>', 'the registry folder')
    .option('--name <name>', "the registry's name", 'Parley registry')
  withJson(init).action((options: { home?: string; name: string; json?: boolean }) => {
    const home = initRegistry(requireHome(options), options.name)
    const data = { registryId: home.registryId, root: home.rootFile }
    ctx.print(
      options,
      data,
      () => `registry ${data.registryId}\nroot file ${data.root} (give it to nodes: parley trust add FILE)`
    )
  })

  const issueCmd = new Command('issue')
    .description('issue an attestation binding a business PeerId to a verified name')
    .requiredOption('--home <rdir>', 'the registry folder')
    .requiredOption('--subject <peerId>', "the business node's PeerId")
    .requiredOption('--name <name>', 'the verified name')
    .option('--days <n>', 'lifetime in days (at most 90)', positiveInt('--days', 90), 14)
    .option('--domain <domain>', 'verified domain')
    .option('--country <cc>', 'ISO 3166 country code')
    .option('--category <category>', 'business category')
    .option('--out <file>', 'where to write the bundle (default: <serial>.attestation in the current folder)')
  withJson(issueCmd).action(
    (options: {
      home?: string
      subject: string
      name: string
      days: number
      domain?: string
      country?: string
      category?: string
      out?: string
      json?: boolean
    }) => {
      peerIdToBytes(options.subject)
      const home = openRegistry(requireHome(options))
      const { bundle, attestation } = issue(home, {
        subject: options.subject,
        name: options.name,
        days: options.days,
        ...(options.domain !== undefined ? { domain: options.domain } : {}),
        ...(options.country !== undefined ? { country: options.country } : {}),
        ...(options.category !== undefined ? { category: options.category } : {})
      })
      const serial = Buffer.from(attestation.serial).toString('hex')
      const out = writeOut(options.out ?? `${serial}.attestation`, bundle)
      const data = {
        serial,
        subject: options.subject,
        name: attestation.name,
        expiresAt: new Date(attestation.expiresAt).toISOString(),
        out
      }
      ctx.print(
        options,
        data,
        () => `issued ${serial} to ${data.subject} as "${data.name}", expires ${data.expiresAt}\nbundle ${out}`
      )
    }
  )

  const revokeCmd = new Command('revoke')
    .description('revoke an attestation by serial (publish a new status list afterwards)')
    .requiredOption('--home <rdir>', 'the registry folder')
    .requiredOption('--serial <serial>', 'the serial, 32 hex characters')
  withJson(revokeCmd).action((options: { home?: string; serial: string; json?: boolean }) => {
    const r = revoke(openRegistry(requireHome(options)), options.serial)
    ctx.print(options, r, () => `revoked ${r.serial} ("${r.name}", ${r.subject}); now run parley registry status`)
  })

  const status = new Command('status')
    .description('sign the next status list (revoked serials), valid at most 48 hours')
    .requiredOption('--home <rdir>', 'the registry folder')
    .requiredOption('--out <file>', 'where to write it (nodes import it with parley trust status FILE)')
    .option('--hours <n>', 'hours until the next update (at most 48)', positiveInt('--hours', 48), 24)
  withJson(status).action((options: { home?: string; out: string; hours: number; json?: boolean }) => {
    const s = makeStatus(openRegistry(requireHome(options)), { validMs: options.hours * 3_600_000 })
    const out = writeOut(options.out, s.record)
    const data = { seq: s.seq, nextUpdate: new Date(s.nextUpdate).toISOString(), revoked: s.revoked, out }
    ctx.print(
      options,
      data,
      () => `status list ${data.seq}: ${data.revoked} revoked, next update ${data.nextUpdate}\nwritten to ${out}`
    )
  })

  const rotateCmd = new Command('rotate')
    .description('root version N+1 with new root keys, signed by a threshold of the old and of the new root keys')
    .requiredOption('--home <rdir>', 'the registry folder')
    .option('--issuer', 'also replace the issuing key (attestations must then be reissued)')
    .option('--status', 'also replace the status key')
  withJson(rotateCmd).action((options: { home?: string; issuer?: boolean; status?: boolean; json?: boolean }) => {
    const home = openRegistry(requireHome(options))
    const r = rotate(home, {
      ...(options.issuer === true ? { issuer: true } : {}),
      ...(options.status === true ? { status: true } : {})
    })
    const data = { registryId: home.registryId, rootVersion: r.rootVersion, root: home.rootFile }
    ctx.print(options, data, () => `root version ${data.rootVersion} of ${data.registryId}\nroot file ${data.root}`)
  })

  const log = new Command('log')
    .description("the registry's append-only log: size and head (RFC 6962 tree hash)")
    .requiredOption('--home <rdir>', 'the registry folder')
  withJson(log).action((options: { home?: string; json?: boolean }) => {
    const h = logHead(openRegistry(requireHome(options)))
    ctx.print(options, h, () => `size ${h.size}\nhead ${h.head}`)
  })

  registry
    .addCommand(init)
    .addCommand(issueCmd)
    .addCommand(revokeCmd)
    .addCommand(status)
    .addCommand(rotateCmd)
    .addCommand(log)
  program.addCommand(registry)
}

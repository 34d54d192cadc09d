import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Command } from 'commander'
import { AttestationError, UsageError } from '../../../errors.ts'
import { loadIdentity, peerIdToBytes } from '../../../identity/index.ts'
import { decodeAttestationBundle } from '../../../registry/index.ts'
import { type CliContext, withHome, withJson } from '../../context.ts'
import { daemonRunning } from '../../daemon-lock.ts'
import { readAttestation, writeAttestation } from '../../node-files.ts'

/** `parley business attest BUNDLE`: install this business node's attestation. */
export function registerBusiness(program: Command, ctx: CliContext): void {
  const business = new Command('business').description('verified business: install the attestation a registry issued')
  const attest = new Command('attest')
    .description('install an attestation bundle issued to this node (a newer one replaces the held one)')
    .argument('<bundle>', 'the file parley registry issue wrote')
  withJson(withHome(attest)).action(async (file: string, options: { home?: string; json?: boolean }) => {
    let bytes: Uint8Array
    try {
      bytes = new Uint8Array(readFileSync(resolve(file)))
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    }
    const home = ctx.home(options)
    let r: { serial: string; name: string; expiresAt: string; replaced: boolean }
    if (daemonRunning(home)) {
      r = await ctx
        .api(options)
        .request('POST', '/v1/business/attestation', { bundle: Buffer.from(bytes).toString('base64') })
    } else {
      let a: ReturnType<typeof decodeAttestationBundle>['attestation']
      try {
        a = decodeAttestationBundle(bytes).attestation
      } catch (err) {
        throw new AttestationError(`not an attestation bundle: ${(err as Error).message}`, 'malformed')
      }
      const identity = await loadIdentity(home, () => ctx.passphrase())
      if (Buffer.compare(a.subject, peerIdToBytes(identity.peerId)) !== 0) {
        throw new AttestationError('this attestation was issued to another PeerId, not to this node', 'subject')
      }
      const held = readAttestation(home)
      if (held !== undefined && decodeAttestationBundle(held).attestation.issuedAt > a.issuedAt) {
        throw new AttestationError('this node holds a newer attestation', 'older')
      }
      writeAttestation(home, bytes)
      r = {
        serial: Buffer.from(a.serial).toString('hex'),
        name: a.name,
        expiresAt: new Date(a.expiresAt).toISOString(),
        replaced: held !== undefined
      }
    }
    ctx.print(options, r, () => `installed attestation ${r.serial}: "${r.name}", expires ${r.expiresAt}`)
  })
  business.addCommand(attest)
  program.addCommand(business)
}

import { Command } from 'commander'
import type { VerificationResult } from '../../../registry/index.ts'
import { type CliContext, withHome, withJson } from '../../context.ts'

/** `parley verify PEER`: is this peer the verified business it claims to be? */
export function registerVerify(program: Command, ctx: CliContext): void {
  const command = new Command('verify')
    .description("check a peer's business verification (asks the peer for its attestation)")
    .argument('<peer>', 'PeerId or contact name')
  withJson(withHome(command)).action(async (peer: string, options: { home?: string; json?: boolean }) => {
    const r = await ctx
      .api(options)
      .request<{ peerId: string; verification: VerificationResult }>(
        'GET',
        `/v1/verify/${encodeURIComponent(peer)}?refresh=true`
      )
    const v = r.verification
    ctx.print(options, v, () => {
      switch (v.status) {
        case 'verified':
          return `✔ verified: "${v.name}" (registry ${v.registryId}, until ${v.expiresAt})`
        case 'unverified':
          return 'unverified: no attestation'
        default:
          return `${v.status}${v.name !== undefined ? ` (claims "${v.name}")` : ''}: ${v.reason ?? ''}`
      }
    })
  })
  program.addCommand(command)
}

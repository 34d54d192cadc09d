import { Command } from 'commander'
import { type CliContext, withHome, withJson } from '../../context.ts'

/** `parley peers`: the peers this node is connected to. */
export function registerPeers(program: Command, ctx: CliContext): void {
  const command = new Command('peers').description('peers this node is connected to')
  withJson(withHome(command)).action(async (options: { home?: string; json?: boolean }) => {
    const { peers } = await ctx
      .api(options)
      .request<{ peers: Array<{ peerId: string; addresses: string[] }> }>('GET', '/v1/peers')
    ctx.print(options, peers, () =>
      peers.length === 0 ? 'no peers connected' : peers.map((p) => `${p.peerId}\t${p.addresses.join(' ')}`).join('\n')
    )
  })
  program.addCommand(command)
}

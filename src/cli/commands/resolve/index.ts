import { Command } from 'commander'
import { type CliContext, withHome, withJson } from '../../context.ts'

interface Profile {
  peerId: string
  name: string | null
  seq: number
  expiresAt: string
  addresses: string[]
  encryptionKey: { id: string; createdAt: string }
}

/** `parley resolve PEERID`: a peer's signed profile from the directory. */
export function registerResolve(program: Command, ctx: CliContext): void {
  const command = new Command('resolve')
    .description("look up a peer's signed profile in the directory (DHT)")
    .argument('<peer>', 'PeerId or contact name')
    .option('--fresh', 'ask the DHT even if a cached record is valid')
  withJson(withHome(command)).action(
    async (peer: string, options: { home?: string; json?: boolean; fresh?: boolean }) => {
      const path = `/v1/peers/${encodeURIComponent(peer)}${options.fresh === true ? '?fresh=true' : ''}`
      const p = await ctx.api(options).request<Profile>('GET', path)
      ctx.print(options, p, () =>
        [
          `PeerId          ${p.peerId}`,
          `Name            ${p.name ?? '(none)'}`,
          `Record          seq ${p.seq}, expires ${p.expiresAt}`,
          `Encryption key  ${p.encryptionKey.id}`,
          ...p.addresses.map((a) => `Address         ${a}`)
        ].join('\n')
      )
    }
  )
  program.addCommand(command)
}

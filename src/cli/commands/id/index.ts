import { Command } from 'commander'
import { loadIdentity, readConfig } from '../../../identity/index.ts'
import { type CliContext, withHome, withJson } from '../../context.ts'

/** `parley id`: this node's PeerId, name and current encryption key. */
export function registerId(program: Command, ctx: CliContext): void {
  const command = new Command('id').description("print this node's PeerId, name and encryption key")
  withJson(withHome(command)).action(async (options: { home?: string; json?: boolean }) => {
    const home = ctx.home(options)
    const identity = await loadIdentity(home, () => ctx.passphrase())
    const config = readConfig(home)
    const key = identity.currentEncryptionKey()
    const data = {
      peerId: identity.peerId,
      name: config.name ?? null,
      encryptionKey: { id: Buffer.from(key.id).toString('hex'), createdAt: new Date(key.createdAt).toISOString() }
    }
    ctx.print(options, data, () =>
      [
        `PeerId          ${data.peerId}`,
        `Name            ${data.name ?? '(none)'}`,
        `Encryption key  ${data.encryptionKey.id} (created ${data.encryptionKey.createdAt})`
      ].join('\n')
    )
  })
  program.addCommand(command)
}

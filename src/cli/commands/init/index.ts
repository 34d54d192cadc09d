import { Command } from 'commander'
import { UsageError } from '../../../errors.ts'
import { initHome } from '../../../identity/index.ts'
import { type CliContext, withHome, withJson } from '../../context.ts'

interface InitOptions {
  home?: string
  name?: string
  force?: boolean
  passphrase?: boolean
  json?: boolean
}

/** `parley init`: create the node's home, identity key, encryption key, config and API token. */
export function registerInit(program: Command, ctx: CliContext): void {
  const command = new Command('init')
    .description('create a node home: identity key, signed encryption key, config and API token')
    .option('--name <name>', 'display name others see (self-declared)')
    .option('--force', 'replace an existing identity (its messages become unreadable)')
    .option('--passphrase', 'protect the key file with a passphrase ($PARLEY_PASSPHRASE, else a prompt)')
  withJson(withHome(command)).action(async (options: InitOptions) => {
    const home = ctx.home(options)
    let passphrase: string | undefined
    if (options.passphrase === true || ctx.io.env.PARLEY_PASSPHRASE !== undefined) {
      passphrase = ctx.io.env.PARLEY_PASSPHRASE
      if (passphrase === undefined) {
        if (!ctx.io.interactive) throw new UsageError('--passphrase needs a terminal or $PARLEY_PASSPHRASE')
        passphrase = await ctx.io.readSecret('New passphrase: ')
        const again = await ctx.io.readSecret('Repeat passphrase: ')
        if (passphrase !== again) throw new UsageError('the passphrases do not match')
      }
      if (passphrase === undefined || passphrase.length === 0)
        throw new UsageError('an empty passphrase protects nothing')
    }
    const identity = await initHome(home, {
      ...(options.name !== undefined ? { name: options.name } : {}),
      ...(options.force === true ? { force: true } : {}),
      ...(passphrase !== undefined ? { passphrase } : {})
    })
    ctx.print(options, { peerId: identity.peerId }, () => identity.peerId)
  })
  program.addCommand(command)
}

import { Command } from 'commander'
import { formatSafetyNumber, loadIdentity, publicKeyFromPeerId, safetyNumber } from '../../../identity/index.ts'
import { type CliContext, withHome, withJson } from '../../context.ts'

/** `parley safety-number PEERID`: the 60 digits both sides compare out of band. */
export function registerSafetyNumber(program: Command, ctx: CliContext): void {
  const command = new Command('safety-number')
    .description('the 60-digit safety number of this node and PEERID, to compare out of band')
    .argument('<peerId>', "the other party's PeerId")
  withJson(withHome(command)).action(async (peerId: string, options: { home?: string; json?: boolean }) => {
    const theirs = publicKeyFromPeerId(peerId)
    const identity = await loadIdentity(ctx.home(options), () => ctx.passphrase())
    const digits = safetyNumber(identity.publicKey, theirs)
    ctx.print(options, { peerId, safetyNumber: digits }, () => formatSafetyNumber(digits))
  })
  program.addCommand(command)
}

import { Command } from 'commander'
import { type CliContext, withHome, withJson } from '../../context.ts'

interface Contact {
  name: string
  peerId: string
  createdAt: string
}

/** `parley contacts add NAME PEERID | list | remove NAME`. */
export function registerContacts(program: Command, ctx: CliContext): void {
  const contacts = new Command('contacts').description('saved contacts: names for PeerIds')

  const add = new Command('add').description('save a contact').argument('<name>').argument('<peerId>')
  withJson(withHome(add)).action(async (name: string, peerId: string, options: { home?: string; json?: boolean }) => {
    const c = await ctx.api(options).request<Contact>('POST', '/v1/contacts', { name, peerId })
    ctx.print(options, c, () => `saved ${c.name} = ${c.peerId}`)
  })

  const list = new Command('list').description('list contacts')
  withJson(withHome(list)).action(async (options: { home?: string; json?: boolean }) => {
    const { contacts: all } = await ctx.api(options).request<{ contacts: Contact[] }>('GET', '/v1/contacts')
    ctx.print(options, all, () =>
      all.length === 0 ? 'no contacts' : all.map((c) => `${c.name}\t${c.peerId}`).join('\n')
    )
  })

  const remove = new Command('remove').description('remove a contact').argument('<name>')
  withJson(withHome(remove)).action(async (name: string, options: { home?: string; json?: boolean }) => {
    const r = await ctx.api(options).request<{ removed: string }>('DELETE', `/v1/contacts/${encodeURIComponent(name)}`)
    ctx.print(options, r, () => `removed ${r.removed}`)
  })

  contacts.addCommand(add).addCommand(list).addCommand(remove)
  program.addCommand(contacts)
}

import { Command } from 'commander'
import type { MessageView } from '../../../messenger/index.ts'
import { type CliContext, positiveInt, withHome, withJson } from '../../context.ts'

interface InboxOptions {
  home?: string
  from?: string
  limit?: number
  json?: boolean
}

/** `parley inbox`: sent and received messages, newest first. */
export function registerInbox(program: Command, ctx: CliContext): void {
  const command = new Command('inbox')
    .description('sent and received messages, newest first')
    .option('--from <peer>', 'only the conversation with this PeerId or contact')
    .option('--limit <n>', 'how many messages', positiveInt('--limit', 1000), 50)
  withJson(withHome(command)).action(async (options: InboxOptions) => {
    const api = ctx.api(options)
    const query = new URLSearchParams()
    if (options.from !== undefined) query.set('peer', options.from)
    query.set('limit', String(options.limit ?? 50))
    const { messages } = await api.request<{ messages: MessageView[] }>('GET', `/v1/messages?${query}`)
    if (options.json === true) {
      ctx.io.stdout(`${JSON.stringify(messages, null, 2)}\n`)
      return
    }
    const { contacts } = await api.request<{ contacts: Array<{ name: string; peerId: string }> }>('GET', '/v1/contacts')
    const names = new Map(contacts.map((c) => [c.peerId, c.name]))
    const who = (p: string): string => names.get(p) ?? `${p.slice(0, 12)}…${p.slice(-4)}`
    if (messages.length === 0) {
      ctx.io.stdout('no messages\n')
      return
    }
    const lines = messages
      .slice()
      .reverse()
      .map((m) => {
        const time = m.createdAt.replace('T', ' ').slice(0, 19)
        return m.direction === 'in'
          ? `${time}  ${who(m.from)} → you: ${m.text ?? `(content type ${m.contentType})`}`
          : `${time}  you → ${who(m.to)}: ${m.text ?? `(content type ${m.contentType})`}  [${m.status}${m.error !== undefined ? `: ${m.error}` : ''}]`
      })
    ctx.io.stdout(`${lines.join('\n')}\n`)
  })
  program.addCommand(command)
}

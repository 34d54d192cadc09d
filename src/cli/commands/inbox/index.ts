import { Command } from 'commander'
import type { MessageView, PeerDisplay } from '../../../messenger/index.ts'
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
    const { conversations } = await api.request<{ conversations: Array<{ peer: string; display?: PeerDisplay }> }>(
      'GET',
      '/v1/conversations'
    )
    const displays = new Map(conversations.map((c) => [c.peer, c.display]))
    const who = (p: string): string => {
      const d = displays.get(p)
      const short = `${p.slice(0, 12)}…${p.slice(-4)}`
      if (d === undefined || d.name === null) return short
      if (d.badge) return d.verifiedAs !== undefined ? `${d.name} ✔ (verified as ${d.verifiedAs})` : `${d.name} ✔`
      if (d.impersonationOf !== undefined)
        return `"${d.name}" ⚠ not verified, looks like ${d.impersonationOf} (${short})`
      return d.source === 'contact' ? d.name : `~${d.name} (${short})`
    }
    if (messages.length === 0) {
      ctx.io.stdout('no messages\n')
      return
    }
    const lines = messages
      .slice()
      .reverse()
      .map((m) => {
        const time = m.createdAt.replace('T', ' ').slice(0, 19)
        const grey =
          m.verification !== undefined && !['verified', 'unverified'].includes(m.verification.status)
            ? ` [${m.verification.status}${m.verification.name !== undefined ? `: claims "${m.verification.name}"` : ''}]`
            : ''
        if (m.contentType === 0) return `${time}  ── ${m.text}`
        return m.direction === 'in'
          ? `${time}  ${who(m.from)}${grey} → you: ${m.text ?? `(content type ${m.contentType})`}`
          : `${time}  you → ${who(m.to)}: ${m.text ?? `(content type ${m.contentType})`}  [${m.status}${m.error !== undefined ? `: ${m.error}` : ''}]`
      })
    ctx.io.stdout(`${lines.join('\n')}\n`)
  })
  program.addCommand(command)
}

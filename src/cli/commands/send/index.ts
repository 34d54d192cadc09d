import { Command } from 'commander'
import { ApiRequestError } from '../../../errors.ts'
import { type CliContext, positiveInt, withHome, withJson } from '../../context.ts'

interface SendOptions {
  home?: string
  wait?: boolean
  timeout?: number
  json?: boolean
}

interface SendReply {
  id: string
  status: string
  to: string
}

/** `parley send PEER TEXT`: commit a message to the outbox; with --wait, until the recipient acked it. */
export function registerSend(program: Command, ctx: CliContext): void {
  const command = new Command('send')
    .description('send a text message to a PeerId or a contact name; prints the message id')
    .argument('<peer>', 'PeerId or contact name')
    .argument('<text>', 'the message')
    .option('--wait', 'wait until the recipient acked the message (exit 1 on timeout)')
    .option('--timeout <seconds>', 'how long --wait waits', positiveInt('--timeout', 86_400), 60)
  withJson(withHome(command)).action(async (peer: string, text: string, options: SendOptions) => {
    const api = ctx.api(options)
    const controller = new AbortController()
    const timeoutMs = (options.timeout ?? 60) * 1000
    let sentSeen: Promise<string> | undefined
    const seen = new Map<string, string>()
    let wanted: string | undefined
    let wake: ((status: string) => void) | undefined
    if (options.wait === true) {
      // subscribe before sending, so the ack cannot slip past us
      const events = api.events(controller.signal)
      sentSeen = new Promise<string>((resolve) => {
        wake = resolve
      })
      let opened: () => void = () => {}
      const subscribed = new Promise<void>((resolve) => {
        opened = resolve
      })
      void (async () => {
        try {
          for await (const e of events) {
            if (e.event === 'open') opened()
            if (e.event !== 'message-status') continue
            const d = e.data as { id: string; status: string }
            if (d.status === 'queued') continue
            seen.set(d.id, d.status)
            if (d.id === wanted) wake?.(d.status)
          }
        } catch {
          // the poll below still finds the outcome
        }
        opened()
      })()
      await Promise.race([subscribed, new Promise((r) => setTimeout(r, 5_000))])
    }
    try {
      const reply = await api.request<SendReply>('POST', '/v1/messages', { to: peer, text })
      wanted = reply.id
      if (options.wait !== true) {
        ctx.print(options, reply, () => reply.id)
        return
      }
      const already = seen.get(reply.id)
      if (already !== undefined) wake?.(already)
      const deadline = Date.now() + timeoutMs
      let status = reply.status
      while (status === 'queued' && Date.now() < deadline) {
        const left = deadline - Date.now()
        status = await Promise.race([
          sentSeen!,
          new Promise<string>((r) => setTimeout(() => r('queued'), Math.min(left, 2_000)))
        ])
        if (status === 'queued') {
          const m = await api.request<{ status: string }>('GET', `/v1/messages/${reply.id}`)
          status = m.status
        }
      }
      const result = { ...reply, status }
      if (status === 'sent') {
        ctx.print(options, result, () => reply.id)
        return
      }
      if (status === 'failed') throw new ApiRequestError(0, 'SendFailed', `message ${reply.id} failed`)
      throw new ApiRequestError(
        0,
        'Timeout',
        `message ${reply.id} is still queued: no ack from the recipient within ${options.timeout ?? 60} s`
      )
    } finally {
      controller.abort()
    }
  })
  program.addCommand(command)
}

import type { FastifyInstance } from 'fastify'
import { UsageError } from '../errors.ts'
import type { Messenger } from '../messenger/index.ts'
import { decodeAttestationBundle } from '../registry/index.ts'
import { displaySchema, errorResponses, verificationResultSchema } from './schemas.ts'

const MAX_BASE64 = 200_000

function fromBase64(value: string, what: string): Uint8Array {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) throw new UsageError(`${what} must be base64`)
  return Uint8Array.from(Buffer.from(value, 'base64'))
}

const iso = (ms: number): string => new Date(ms).toISOString()

/** Trust (registries, status lists), this node's attestation, and peers' verification. */
export function registerTrustRoutes(app: FastifyInstance, messenger: Messenger): void {
  app.get('/v1/trust', { schema: { summary: 'Registries this node trusts' } }, async () => ({
    registries: messenger.trust.list().map((r) => ({
      registryId: r.registryId,
      name: r.name,
      rootVersion: r.rootVersion,
      rootExpiresAt: iso(r.rootExpiresAt),
      addedAt: iso(r.addedAt),
      status:
        r.status === null
          ? null
          : { ...r.status, issuedAt: iso(r.status.issuedAt), nextUpdate: iso(r.status.nextUpdate) }
    }))
  }))

  app.post<{ Body: { root: string } }>(
    '/v1/trust',
    {
      schema: {
        summary: 'Trust a registry (its root file, base64), or follow it to a newer root',
        body: {
          type: 'object',
          required: ['root'],
          additionalProperties: false,
          properties: { root: { type: 'string', minLength: 1, maxLength: MAX_BASE64 } }
        },
        response: errorResponses
      }
    },
    async (req) => messenger.addTrustedRoot(fromBase64(req.body.root, 'root'))
  )

  app.delete<{ Params: { registryId: string } }>(
    '/v1/trust/:registryId',
    {
      schema: {
        summary: 'Stop trusting a registry',
        params: { type: 'object', properties: { registryId: { type: 'string', maxLength: 64 } } }
      }
    },
    async (req, reply) => {
      if (!messenger.removeTrustedRegistry(req.params.registryId)) {
        return reply
          .code(404)
          .send({ error: 'NotFound', message: `registry ${req.params.registryId} is not trusted here` })
      }
      return { removed: req.params.registryId }
    }
  )

  app.post<{ Body: { record: string; publish?: boolean } }>(
    '/v1/trust/status',
    {
      schema: {
        summary: 'Import a status list (status record, base64); published to the DHT unless publish is false',
        body: {
          type: 'object',
          required: ['record'],
          additionalProperties: false,
          properties: { record: { type: 'string', minLength: 1, maxLength: MAX_BASE64 }, publish: { type: 'boolean' } }
        },
        response: errorResponses
      }
    },
    async (req) =>
      messenger.importStatus(fromBase64(req.body.record, 'record'), { publish: req.body.publish !== false })
  )

  app.get('/v1/business/attestation', { schema: { summary: "This node's attestation" } }, async (_req, reply) => {
    const bundle = messenger.attestation()
    if (bundle === undefined)
      return reply.code(404).send({ error: 'NotFound', message: 'this node holds no attestation' })
    const a = decodeAttestationBundle(bundle).attestation
    return {
      serial: Buffer.from(a.serial).toString('hex'),
      name: a.name,
      registryId: a.registryId,
      expiresAt: iso(a.expiresAt),
      verification: await messenger.verifyPeer(messenger.peerId)
    }
  })

  app.post<{ Body: { bundle: string } }>(
    '/v1/business/attestation',
    {
      schema: {
        summary: 'Install this node’s attestation bundle (base64); it goes into the profile and the attest protocol',
        body: {
          type: 'object',
          required: ['bundle'],
          additionalProperties: false,
          properties: { bundle: { type: 'string', minLength: 1, maxLength: 16_000 } }
        },
        response: errorResponses
      }
    },
    async (req) => {
      const r = messenger.setAttestation(fromBase64(req.body.bundle, 'bundle'))
      return { ...r, expiresAt: iso(r.expiresAt) }
    }
  )

  app.get<{ Params: { peer: string }; Querystring: { refresh?: boolean } }>(
    '/v1/verify/:peer',
    {
      schema: {
        summary: "A peer's business verification and how its name is shown",
        params: { type: 'object', properties: { peer: { type: 'string', maxLength: 128 } } },
        querystring: { type: 'object', additionalProperties: false, properties: { refresh: { type: 'boolean' } } },
        response: {
          200: {
            type: 'object',
            properties: { peerId: { type: 'string' }, verification: verificationResultSchema, display: displaySchema }
          },
          ...errorResponses
        }
      }
    },
    async (req) => {
      const peerId = (app as unknown as { resolvePeer(v: string): string }).resolvePeer(req.params.peer)
      const verification = await messenger.verifyPeer(peerId, { refresh: req.query.refresh !== false })
      return { peerId, verification, display: messenger.display(peerId) }
    }
  )
}

/**
 * ADMIN routes for the secret store: key statuses, the key audit trail and bulk import of manufacturer key
 * shipments. Metadata only: no route returns key bytes (GXF's GetKeys export is the only place keys leave, and
 * only encrypted to an organisation's public key).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MeterfabricError, ErrorCode } from '../../errors.ts';
import type { SecretStore } from '../../secrets/store.ts';
import type { ClientKeyPair } from '../../secrets/client-keys.ts';

const importBody = z
  .object({
    format: z.enum(['csv', 'json']),
    /** The shipment text (README "Key shipments"); keys may be plain hex or RSA-OAEP to the platform key. */
    text: z.string().min(1).max(64 * 1024 * 1024),
    reason: z.string().min(1).max(200).optional(),
  })
  .strict();

export function keyAdminRoutes(secrets: SecretStore, clientKeys: ClientKeyPair): (app: FastifyInstance) => void {
  return (app) => {
    const caller = (r: unknown) => (r as { adminOrganisation?: string }).adminOrganisation ?? 'admin';
    app.get<{ Params: { deviceIdentification: string } }>('/keys/:deviceIdentification', async (request) => ({
      deviceIdentification: request.params.deviceIdentification,
      keys: await secrets.list(request.params.deviceIdentification),
    }));
    app.get<{ Querystring: { device?: string; limit?: string } }>('/keys', async (request) => {
      const limit = Math.min(1000, Math.max(1, Number(request.query.limit ?? 100) || 100));
      return { audit: await secrets.audit(request.query.device, { limit }) };
    });
    app.post('/keys/import', async (request, reply) => {
      const parsed = importBody.safeParse(request.body ?? {});
      if (!parsed.success) {
        throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '), { component: 'SECRET_MANAGEMENT', retryable: false });
      }
      const r = await secrets.importKeys(parsed.data.text, {
        format: parsed.data.format,
        ctx: { actor: caller(request), reason: parsed.data.reason ?? 'key shipment import' },
        decryptKey: (hex) => clientKeys.decryptClientKey(hex),
      });
      reply.code(201);
      return { imported: r.imported, skipped: r.skipped };
    });
  };
}

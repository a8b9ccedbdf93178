/**
 * ADMIN routes (under /api/v1/admin) to submit device requests on behalf of an organisation — the platform's
 * usual checks (organisation enabled, device authorisation) apply to that organisation — and to rekey every
 * coupled gas meter of a set of gateways. Meter connections stay bounded by the platform's throttling: these
 * routes only queue requests.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MeterfabricError, ErrorCode } from '../../errors.ts';
import type { Platform } from '../../platform/platform.ts';
import { listDevices } from '../../platform/inventory.ts';
import { DEVICE_OPERATIONS } from '../../operations/catalogue.ts';
import setMbusUserKeyByChannel from '../../operations/configuration/set-mbus-user-key-by-channel.ts';

const submitBody = z
  .object({
    organisationIdentification: z.string().min(1).max(40),
    deviceIdentification: z.string().min(1),
    messageType: z.enum(DEVICE_OPERATIONS.map((o) => o.messageType) as [string, ...string[]]),
    payload: z.record(z.string(), z.unknown()).default({}),
    priority: z.number().int().optional(),
    bypassRetry: z.boolean().optional(),
  })
  .strict();

const rekeyBody = z.object({ organisationIdentification: z.string().min(1).max(40), gateways: z.array(z.string().min(1)).min(1).max(100_000) }).strict();

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '), { component: 'SHARED', retryable: false });
  return r.data;
}

export function requestAdminRoutes(platform: Platform): (app: FastifyInstance) => void {
  return (app) => {
    const submit = (org: string, device: string, messageType: string, payload: unknown, extra: { priority?: number; bypassRetry?: boolean } = {}) =>
      platform.requests.submit({ organisationIdentification: org, userName: 'admin-cli', applicationName: 'meterfabric', deviceIdentification: device, messageType, payload, channel: 'REST', ...extra });

    app.post('/requests', async (request, reply) => {
      const b = parse(submitBody, request.body);
      reply.code(202);
      return submit(b.organisationIdentification, b.deviceIdentification, b.messageType, b.payload, { priority: b.priority, bypassRetry: b.bypassRetry });
    });

    app.post('/rekey', async (request, reply) => {
      const b = parse(rekeyBody, request.body);
      const submitted: { gateway: string; channel: number; correlationUid: string }[] = [];
      const refused: { gateway: string; code: number; message: string }[] = [];
      for (const gateway of b.gateways) {
        const coupled = (await listDevices(platform.db, { gatewayDeviceIdentification: gateway })).filter((d) => d.channel);
        for (const d of coupled) {
          try {
            const { correlationUid } = await submit(b.organisationIdentification, gateway, setMbusUserKeyByChannel.messageType, { channel: d.channel });
            submitted.push({ gateway, channel: d.channel!, correlationUid });
          } catch (e) {
            const err = e as MeterfabricError;
            refused.push({ gateway, code: err.code ?? ErrorCode.INTERNAL_ERROR, message: err.message });
            break;
          }
        }
      }
      reply.code(202);
      return { submitted, refused };
    });
  };
}

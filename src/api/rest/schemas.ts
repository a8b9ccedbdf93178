/**
 * zod pieces shared by the REST routes of the operations (src/operations) and the REST plugin (./operations.ts).
 */
import { z } from 'zod';

/** The REST operation API's path prefix. */
export const API_PREFIX = '/api/v1';

export const deviceIdentification = z
  .string()
  .regex(/^[A-Za-z0-9 _.:-]{1,64}$/, 'letters, digits, space, _ . : - (1..64)')
  .describe('Device identification');
export const channel = z.coerce.number().int().min(1).max(4).describe('M-Bus channel 1..4');
const epochOrIso = z.iso.datetime({ offset: true });

/** Request metadata, the REST form of GXF's optional SOAP headers (docs/gxf.md#soap-headers). */
export const requestOptions = {
  priority: z.number().int().min(0).max(9).optional().describe('0..9, default 4; higher runs first'),
  scheduleTime: epochOrIso.optional().describe('Do not start before this time (ISO 8601)'),
  maxScheduleTime: epochOrIso.optional().describe('Give up with 417 if a retry would start after this time'),
  bypassRetry: z.boolean().optional().describe('Answer the first failure instead of retrying'),
  responseUrl: z.url({ protocol: /^https?$/ }).optional().describe('Webhook notified when the outcome is stored'),
};
export const optionsOnly = z.object(requestOptions).strict();

export const hexCiphertext = z
  .string()
  .regex(/^[0-9a-fA-F]+$/, 'hex')
  .max(2048)
  .describe('Key RSA-OAEP (SHA-1) encrypted to the platform public key (GET /api/v1/platform/public-key), hex');

export const gatewayParams = z.object({ deviceIdentification });
export const gatewayChannelParams = z.object({ deviceIdentification, channel });

/** The device named in the path. */
export const pathDevice = (params: Record<string, unknown>): string => params.deviceIdentification as string;

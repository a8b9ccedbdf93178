/**
 * Secret types and statuses exactly as GXF names them (docs/gxf.md#secret-types, #key-lifecycle).
 */
import { ErrorCode, MeterfabricError } from '../errors.ts';

export const SECRET_TYPES = [
  'E_METER_MASTER_KEY',
  'E_METER_AUTHENTICATION_KEY',
  'E_METER_ENCRYPTION_KEY_UNICAST',
  'E_METER_ENCRYPTION_KEY_BROADCAST',
  'G_METER_MASTER_KEY',
  'G_METER_ENCRYPTION_KEY',
  'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY',
  'G_METER_OPTICAL_PORT_KEY',
  'PPP_PASSWORD',
  'LLS_PASSWORD',
] as const;
export type SecretType = (typeof SECRET_TYPES)[number];

export const SECRET_STATUSES = ['NEW', 'ACTIVE', 'EXPIRED', 'WITHDRAWN'] as const;
export type SecretStatus = (typeof SECRET_STATUSES)[number];

/** Who asks for a transition and why; both go into the append-only audit log. */
export interface SecretContext {
  actor: string;
  reason: string;
}

const PASSWORD_TYPES = new Set<SecretType>(['PPP_PASSWORD', 'LLS_PASSWORD']);

export function isSecretType(v: unknown): v is SecretType {
  return typeof v === 'string' && (SECRET_TYPES as readonly string[]).includes(v);
}

export function isPasswordType(type: SecretType): boolean {
  return PASSWORD_TYPES.has(type);
}

/** Longest device identification the store accepts (GXF allows 40 characters in the web services). */
export const MAX_DEVICE_ID_LENGTH = 64;

export function checkDeviceId(deviceId: unknown): string {
  if (typeof deviceId !== 'string' || deviceId.length === 0 || deviceId.length > MAX_DEVICE_ID_LENGTH) {
    throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'device identification must be 1..64 characters', {
      component: 'SECRET_MANAGEMENT',
    });
  }
  return deviceId;
}

export function checkSecretType(type: unknown): SecretType {
  if (!isSecretType(type)) {
    throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `unknown secret type ${JSON.stringify(String(type).slice(0, 60))}`, {
      component: 'SECRET_MANAGEMENT',
    });
  }
  return type;
}

export function checkContext(ctx: unknown): SecretContext {
  const c = ctx as Partial<SecretContext> | undefined;
  if (!c || typeof c.actor !== 'string' || !c.actor || typeof c.reason !== 'string' || !c.reason) {
    throw new MeterfabricError(ErrorCode.ARGUMENT_NULL, 'a secret transition needs an actor and a reason', {
      component: 'SECRET_MANAGEMENT',
    });
  }
  return { actor: c.actor, reason: c.reason };
}

/**
 * Key length rules. DLMS keys are AES-128 (suite 0, the GXF default) or AES-256 (suite 2); passwords
 * (LLS, PPP) are byte strings of 1..64 bytes. The message names the type and length only, never the bytes.
 */
export function checkKeyMaterial(type: SecretType, key: unknown): Buffer {
  if (!Buffer.isBuffer(key) && !(key instanceof Uint8Array)) {
    throw new MeterfabricError(ErrorCode.INVALID_KEY_FORMAT, `key for ${type} must be bytes`, { component: 'SECRET_MANAGEMENT' });
  }
  const len = key.length;
  const ok = isPasswordType(type) ? len >= 1 && len <= 64 : len === 16 || len === 32;
  if (!ok) {
    throw new MeterfabricError(
      ErrorCode.INVALID_KEY_FORMAT,
      `key for ${type} has ${len} bytes; expected ${isPasswordType(type) ? '1..64' : '16 or 32'}`,
      { component: 'SECRET_MANAGEMENT' },
    );
  }
  return Buffer.from(key);
}

/**
 * Pushes received from meters (table push_message, migration 0201) and the invocation counter of ciphered pushes
 * per device (push_invocation_counter), for src/adapters/push-alarms.ts (docs/push.md#what-happens-to-an-alarm).
 */
import type { Queryable } from './db/db.ts';

/**
 * Records the invocation counter of a verified ciphered push when it is higher than the last one; false when it
 * is not (a replayed or older push).
 */
export async function raisePushInvocationCounter(q: Queryable, deviceIdentification: string, invocationCounter: number): Promise<boolean> {
  const r = await q.query(
    `INSERT INTO push_invocation_counter (device_identification, last_value) VALUES ($1, $2)
     ON CONFLICT (device_identification) DO UPDATE SET last_value = EXCLUDED.last_value, updated_at = now()
       WHERE push_invocation_counter.last_value < EXCLUDED.last_value`,
    [deviceIdentification, invocationCounter],
  );
  return r.rowCount > 0;
}

/** Keeps the bytes of a push that could not be decoded, for diagnosis. */
export async function recordRejectedPush(q: Queryable, p: { transport: string; sourceAddress: string; encoded: Buffer; error: string }): Promise<void> {
  await q.query('INSERT INTO push_message (transport, source_address, encoded, error) VALUES ($1, $2, $3, $4)', [p.transport, p.sourceAddress, p.encoded, p.error]);
}

export interface DecodedPush {
  transport: string;
  sourceAddress: string;
  deviceIdentification: string;
  format: string;
  triggerType: string;
  alarms: unknown;
  unknownBits: unknown;
  encoded: Buffer;
  correlationUid: string | null;
  error: string | null;
}

/** Stores a decoded push; returns its id. */
export async function recordPush(q: Queryable, p: DecodedPush): Promise<string> {
  const r = await q.query<{ id: string }>(
    `INSERT INTO push_message (transport, source_address, device_identification, format, trigger_type, alarms, unknown_bits, encoded, correlation_uid, error)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id`,
    [p.transport, p.sourceAddress, p.deviceIdentification, p.format, p.triggerType, JSON.stringify(p.alarms), JSON.stringify(p.unknownBits), p.encoded,
      p.correlationUid, p.error],
  );
  return r.rows[0]!.id;
}

/** Records what the automatic rekey policy decided for a stored push. */
export async function setPushAutoRekey(q: Queryable, pushId: string, decision: string): Promise<void> {
  await q.query('UPDATE push_message SET auto_rekey = $2 WHERE id = $1', [pushId, decision]);
}

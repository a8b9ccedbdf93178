/**
 * Reads of the request table outside the request flow of platform.ts (which owns its writes).
 */
import type { Queryable } from './db/db.ts';

/**
 * Whether a request of this message type, by this user, for this channel of the device was accepted within the
 * last `withinMs` (the payload's `channel`).
 */
export async function hasRecentChannelRequest(
  q: Queryable,
  r: { deviceIdentification: string; messageType: string; userName: string; channel: number; withinMs: number },
): Promise<boolean> {
  const x = await q.query(
    `SELECT 1 FROM request WHERE device_identification = $1 AND message_type = $2 AND user_name = $5
        AND (payload->>'channel')::int = $3 AND created_at > now() - ($4::int * interval '1 millisecond') LIMIT 1`,
    [r.deviceIdentification, r.messageType, r.channel, r.withinMs, r.userName],
  );
  return x.rowCount > 0;
}

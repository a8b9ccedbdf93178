/**
 * Fleet rekeys started from the console (tables console_rekey and console_rekey_item, migration 0300): one row per
 * rekey, one item per gateway channel with the request it submitted (or the code that refused it).
 */
import type { Queryable } from './db/db.ts';

export async function createConsoleRekey(q: Queryable, id: string, organisationIdentification: string): Promise<void> {
  await q.query('INSERT INTO console_rekey (id, organisation_identification) VALUES ($1, $2)', [id, organisationIdentification]);
}

export async function addConsoleRekeyItem(
  q: Queryable,
  item: { rekeyId: string; correlationUid: string | null; gatewayDeviceIdentification: string; channel: number; errorCode: number | null },
): Promise<void> {
  await q.query('INSERT INTO console_rekey_item (rekey_id, correlation_uid, gateway_device_identification, channel, error_code) VALUES ($1, $2, $3, $4, $5)', [
    item.rekeyId, item.correlationUid, item.gatewayDeviceIdentification, item.channel, item.errorCode,
  ]);
}

/** The organisation that started the rekey, or undefined when it is unknown. */
export async function consoleRekeyOwner(q: Queryable, id: string): Promise<string | undefined> {
  const r = await q.query<{ organisation_identification: string }>('SELECT organisation_identification FROM console_rekey WHERE id = $1', [id]);
  return r.rows[0]?.organisation_identification;
}

export interface ConsoleRekeyItem {
  correlationUid: string | null;
  gatewayDeviceIdentification: string;
  channel: number;
  /** Why the submission was refused, when it was. */
  errorCode: number | null;
  /** The request's state, result and error code (null when no request, or it is gone). */
  status: string | null;
  result: string | null;
  requestErrorCode: number | null;
}

/** The rekey's items with the state of their requests, by gateway and channel. */
export async function listConsoleRekeyItems(q: Queryable, id: string): Promise<ConsoleRekeyItem[]> {
  const r = await q.query<{ correlation_uid: string | null; gateway_device_identification: string; channel: number; error_code: number | null; status: string | null; result: string | null; req_error: number | null }>(
    `SELECT i.correlation_uid, i.gateway_device_identification, i.channel, i.error_code, r.status, r.result, r.error_code AS req_error
       FROM console_rekey_item i LEFT JOIN request r ON r.correlation_uid = i.correlation_uid
      WHERE i.rekey_id = $1 ORDER BY i.gateway_device_identification, i.channel`,
    [id],
  );
  return r.rows.map((x) => ({
    correlationUid: x.correlation_uid,
    gatewayDeviceIdentification: x.gateway_device_identification,
    channel: Number(x.channel),
    errorCode: x.error_code,
    status: x.status,
    result: x.result,
    requestErrorCode: x.req_error,
  }));
}

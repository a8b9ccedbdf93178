/**
 * Reads and writes of stored responses (table response_data) beyond the request flow of platform.ts: responses the
 * platform stores without a request (push alarms), and the views the console and the alarm API show.
 */
import type { Queryable } from './db/db.ts';
import type { ResultType } from './operations.ts';

export interface ResponseRow {
  correlationUid: string;
  organisationIdentification: string;
  deviceIdentification: string;
  messageType: string;
  result: ResultType;
  messageData: { data?: unknown; error?: { code: number; codeName: string; message: string } } | null;
  createdAt: Date;
}

interface Row {
  correlation_uid: string;
  organisation_identification: string;
  device_identification: string;
  message_type: string;
  result_type: ResultType;
  message_data: ResponseRow['messageData'];
  created_at: Date | string;
}

const fromRow = (x: Row): ResponseRow => ({
  correlationUid: x.correlation_uid,
  organisationIdentification: x.organisation_identification,
  deviceIdentification: x.device_identification,
  messageType: x.message_type,
  result: x.result_type,
  messageData: x.message_data,
  createdAt: new Date(x.created_at),
});

/** Stores a response that has no request (e.g. a pushed alarm), as `{data}`. */
export async function storeUnrequestedResponse(
  q: Queryable,
  r: { correlationUid: string; organisationIdentification: string; deviceIdentification: string; messageType: string; result: ResultType; data: unknown },
): Promise<void> {
  await q.query(
    `INSERT INTO response_data (correlation_uid, organisation_identification, device_identification, message_type, result_type, message_data)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [r.correlationUid, r.organisationIdentification, r.deviceIdentification, r.messageType, r.result, JSON.stringify({ data: r.data })],
  );
}

/** The organisation's responses of one message type for a device, newest first (read only: nothing is marked fetched). */
export async function listDeviceResponses(q: Queryable, organisationIdentification: string, deviceIdentification: string, messageType: string, limit: number): Promise<ResponseRow[]> {
  const r = await q.query<Row>(
    `SELECT correlation_uid, organisation_identification, device_identification, message_type, result_type, message_data, created_at
       FROM response_data
      WHERE device_identification = $1 AND organisation_identification = $2 AND message_type = $3
      ORDER BY created_at DESC, correlation_uid LIMIT $4`,
    [deviceIdentification, organisationIdentification, messageType, limit],
  );
  return r.rows.map(fromRow);
}

/** The stored responses of these correlation uids (those that have one). */
export async function responsesOf(q: Queryable, correlationUids: readonly string[]): Promise<ResponseRow[]> {
  if (correlationUids.length === 0) return [];
  const r = await q.query<Row>(
    `SELECT correlation_uid, organisation_identification, device_identification, message_type, result_type, message_data, created_at
       FROM response_data WHERE correlation_uid = ANY($1::text[])`,
    [correlationUids],
  );
  return r.rows.map(fromRow);
}

/**
 * The latest OK responses (at most `limit`, newest first) of `gatewayMessageType` for the gateway itself and of
 * `mbusMessageType` for the M-Bus devices coupled to it.
 */
export async function latestOkResponsesAroundGateway(q: Queryable, gateway: string, gatewayMessageType: string, mbusMessageType: string, limit = 200): Promise<ResponseRow[]> {
  const r = await q.query<Row>(
    `SELECT correlation_uid, organisation_identification, device_identification, message_type, result_type, message_data, created_at FROM response_data
      WHERE result_type = 'OK' AND ((message_type = $2 AND device_identification = $1)
         OR (message_type = $3 AND device_identification IN (SELECT device_identification FROM device WHERE gateway_device_identification = $1)))
      ORDER BY created_at DESC LIMIT $4`,
    [gateway, gatewayMessageType, mbusMessageType, limit],
  );
  return r.rows.map(fromRow);
}

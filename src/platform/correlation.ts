/**
 * CorrelationUid as GXF makes it (docs/gxf.md#correlation-uid): `org|||device|||yyyyMMddkkmmssSSS|||uuid`, the timestamp in
 * the process's local time zone with the hour 1..24 (`kk`: midnight prints 24). Clients treat it as opaque.
 */
import { randomUUID } from 'node:crypto';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function correlationTimestamp(d: Date): string {
  const hour = d.getHours() === 0 ? 24 : d.getHours();
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}${pad(hour)}${pad(d.getMinutes())}${pad(d.getSeconds())}${pad(d.getMilliseconds(), 3)}`;
}

export function makeCorrelationUid(organisationIdentification: string, deviceIdentification: string, now = new Date(), uuid: string = randomUUID()): string {
  return `${organisationIdentification}|||${deviceIdentification}|||${correlationTimestamp(now)}|||${uuid}`;
}

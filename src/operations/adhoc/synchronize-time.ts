/**
 * SynchronizeTime: set the meter's clock (class 8, 0-0:1.0.0.255 attribute 2) to the current instant in the device's
 * time zone, as GXF does (OSGP/open-smart-grid-platform, osgp-adapter-protocol-dlms
 * SynchronizeTimeCommandExecutor; docs/dlms.md): one SET, nothing read first, time_zone and DST attributes untouched.
 * The zone is stored on the device before the SET and kept when the SET fails.
 */
import { z } from 'zod';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { encodeCosemDateTime } from '../../dlms/axdr.ts';
import { withLink } from '../../adapters/mbus-keys.ts';
import { resultWithDescription, sub, text, validation } from '../../api/soap/mapping.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

/** Whether the runtime knows this IANA time zone id. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The local wall-clock fields of an instant in a zone, and the zone's UTC offset then (minutes east of UTC). */
export function localTime(instant: Date, zone: string) {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formats.set(zone, f);
  }
  const part = Object.fromEntries(f.formatToParts(instant).map((x) => [x.type, x.value]));
  const fields = {
    year: Number(part.year), month: Number(part.month), day: Number(part.day),
    hour: Number(part.hour), minute: Number(part.minute), second: Number(part.second),
  };
  const ms = instant.getTime() - Math.floor(instant.getTime() / 1000) * 1000;
  const asUtc = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second, ms);
  return { ...fields, millisecond: ms, offsetMinutes: Math.round((asUtc - instant.getTime()) / 60_000) };
}

/**
 * Whether the zone is on daylight saving time at the instant: its offset then is above its standard offset, taken
 * as the smaller of its offsets in January and July of that year (works on both hemispheres).
 */
export function inDaylightSaving(instant: Date, zone: string): boolean {
  const year = instant.getUTCFullYear();
  const standard = Math.min(localTime(new Date(Date.UTC(year, 0, 1)), zone).offsetMinutes, localTime(new Date(Date.UTC(year, 6, 1)), zone).offsetMinutes);
  return localTime(instant, zone).offsetMinutes > standard;
}

/**
 * The 12-byte COSEM date-time (IEC 62056-6-2 clause 4.1.6.1) GXF sends: local fields of the zone, hundredths =
 * milliseconds / 10, deviation = -(UTC offset in minutes), day of week not specified (0xFF), clock status 0x80
 * (daylight saving active) when the zone is on daylight saving time, else 0x00.
 */
export function clockDateTime(instant: Date, zone: string): Buffer {
  const t = localTime(instant, zone);
  return encodeCosemDateTime({
    year: t.year, month: t.month, day: t.day, dayOfWeek: 0xff, hour: t.hour, minute: t.minute, second: t.second,
    hundredths: Math.floor(t.millisecond / 10), deviation: -t.offsetMinutes, clockStatus: inDaylightSaving(instant, zone) ? 0x80 : 0x00,
  });
}

const timeZone = z.string().min(1).max(64).refine(isTimeZone, 'unknown time zone: an IANA id such as Europe/Amsterdam');

export default define({
  messageType: 'SYNCHRONIZE_TIME',
  service: 'SmartMeteringAdhoc',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'SynchronizeTimeRequest',
  /** timeZone absent: UTC. */
  payload: z.object({ timeZone: timeZone.optional() }),
  soap: {
    request: 'SynchronizeTimeRequest',
    asyncResponse: 'SynchronizeTimeAsyncResponse',
    asyncRequest: 'SynchronizeTimeAsyncRequest',
    response: 'SynchronizeTimeResponse',
    wsdlOperations: ['SynchronizeTime', 'GetSynchronizeTimeResponse'],
    family: 'strict',
    read: (r) => {
      const zone = text(sub(r, 'SynchronizeTimeRequestData'), 'TimeZone').trim();
      if (zone !== '' && !isTimeZone(zone)) throw validation(`TimeZone ${zone} is not a known time zone (an IANA id such as Europe/Amsterdam)`);
      return { deviceIdentification: text(r, 'DeviceIdentification'), payload: zone === '' ? {} : { timeZone: zone } };
    },
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/clock/synchronize',
    operationId: 'synchronizeTime',
    summary: 'Set the meter clock to the current time in a time zone, stored on the device (SynchronizeTime)',
    tag: 'adhoc',
    params: gatewayParams,
    body: z.object({ timeZone: timeZone.optional().describe('IANA time zone id, e.g. Europe/Amsterdam; default UTC'), ...requestOptions }).strict(),
    toRequest: (params, body) => ({
      deviceIdentification: pathDevice(params),
      payload: body.timeZone === undefined ? {} : { timeZone: body.timeZone as string },
    }),
  },
  async execute(ports, payload, ctx): Promise<undefined> {
    const zone = payload.timeZone ?? 'UTC';
    if (!isTimeZone(zone)) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `TimeZone ${zone} is not a known time zone`, { component: 'PROTOCOL_DLMS', retryable: false });
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    await ports.inventory.setTimezone(device.deviceIdentification, zone);
    await withLink(ports, device.deviceIdentification, ctx.signal, (link) => link.setClock(clockDateTime(ports.now?.() ?? new Date(), zone)));
    return undefined;
  },
});

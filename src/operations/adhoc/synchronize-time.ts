/**
 * SynchronizeTime: set the meter's clock (class 8, 0-0:1.0.0.255 attribute 2) to the current instant in the device's
 * time zone, as GXF does (OSGP/open-smart-grid-platform, osgp-adapter-protocol-dlms
 * SynchronizeTimeCommandExecutor; docs/dlms.md): one SET, nothing read first, time_zone and DST attributes untouched.
 * The zone is stored on the device before the SET and kept when the SET fails.
 */
import { z } from 'zod';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { encodeZonedDateTime } from '../../dlms/date-time.ts';
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

/**
 * The 12-byte COSEM date-time GXF sends (docs/dlms.md "Date-time"): local fields of the zone, hundredths =
 * milliseconds / 10, deviation = -(UTC offset in minutes), day of week not specified, clock status 0x80 when the zone
 * is on daylight saving time, else 0x00.
 */
export const clockDateTime = (instant: Date, zone: string): Buffer => encodeZonedDateTime(instant, zone);

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

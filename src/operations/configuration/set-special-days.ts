/**
 * SetSpecialDays: writes the special days table (class 11, 0-0:11.0.0.255 attribute 2) in one SET, as GXF does
 * (OSGP/open-smart-grid-platform, osgp-adapter-protocol-dlms SetSpecialDaysCommandExecutor;
 * docs/gxf.md#special-days-and-activity-calendar): the request's days become the entries with indexes 0, 1, 2, … in
 * request order, replacing the table. A write the meter refuses ends NOT OK with "Set special days reported result
 * is: <result>". A day id outside 0..255 (the entry's unsigned) is refused at once.
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { SpecialDaysTableClass, attributeOf } from '../../cosem/index.ts';
import { SPECIAL_DAYS_TABLE_OBIS, specialDaysEntries } from '../../cosem/calendar.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { resultWithDescription, sub, text, validation } from '../../api/soap/mapping.ts';
import { childElements } from '../../api/soap/xml.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

const specialDay = z.object({
  specialDayDate: z.string().regex(/^[0-9a-fA-F]{10}$/, 'a COSEM date: 5 bytes as 10 hex digits').transform((s) => s.toUpperCase()).describe('COSEM date, 10 hex digits, e.g. 07EA0C19FF (25 December 2026, any weekday)'),
  dayId: z.number().int().min(0).max(255).describe('day_id of the activity calendar day profile used on that date'),
}).strict();
const specialDays = z.array(specialDay).min(1).max(30);
type Payload = { specialDays: z.infer<typeof specialDays> };

export default define({
  messageType: 'SET_SPECIAL_DAYS',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'SetSpecialDaysRequest',
  payload: z.object({ specialDays }).strict(),
  soap: {
    request: 'SetSpecialDaysRequest',
    asyncResponse: 'SetSpecialDaysAsyncResponse',
    asyncRequest: 'SetSpecialDaysAsyncRequest',
    response: 'SetSpecialDaysResponse',
    wsdlOperations: ['SetSpecialDays', 'GetSetSpecialDaysResponse'],
    family: 'strict',
    read: (r) => {
      const days = childElements(sub(r, 'SpecialDaysRequestData')).filter((e) => e.name === 'SpecialDays').map((e) => {
        const dayId = Number(text(e, 'dayId').trim());
        if (!Number.isInteger(dayId) || dayId < 0 || dayId > 255) throw validation(`dayId ${text(e, 'dayId').trim()} is not 0..255`);
        return { specialDayDate: text(e, 'specialDayDate').trim().toUpperCase(), dayId };
      });
      return { deviceIdentification: text(r, 'DeviceIdentification'), payload: { specialDays: days } };
    },
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/special-days',
    operationId: 'setSpecialDays',
    summary: "Replace the meter's special days table (SetSpecialDays)",
    tag: 'devices',
    params: gatewayParams,
    body: z.object({ specialDays, ...requestOptions }).strict(),
    toRequest: (params, body) => ({ deviceIdentification: pathDevice(params), payload: { specialDays: body.specialDays as Payload['specialDays'] } }),
  },
  async execute(ports, p: Payload, ctx): Promise<undefined> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    const entries = specialDaysEntries(p.specialDays.map((d) => ({ date: Buffer.from(d.specialDayDate, 'hex'), dayId: d.dayId })));
    const ref = { classId: SpecialDaysTableClass.classId, obis: SPECIAL_DAYS_TABLE_OBIS, attributeId: attributeOf(SpecialDaysTableClass, 'entries').id };
    await withLink(ports, device.deviceIdentification, ctx.signal, async (link) => {
      const result = await link.setAttribute(ref, entries);
      if (result !== 0) throw new MeterfabricError(ErrorCode.DATA_ACCESS_RESULT, `Set special days reported result is: ${dataAccessResultName(result)}`, { retryable: false });
    });
    return undefined;
  },
});

/**
 * GetActualPowerQuality: the meter's clock and its actual power-quality values, PUBLIC (voltages, sag, swell and
 * power-failure counters) or PRIVATE (currents and powers), as GXF reads them (OSGP/open-smart-grid-platform,
 * osgp/protocol-adapter-dlms GetActualPowerQualityCommandExecutor; docs/monitoring.md#getactualpowerquality):
 * CLOCK first, then the family's objects of the requested type (L2/L3 only for polyphase devices) in GXF's order,
 * attribute 2 of each and attribute 3 of the registers whose scaler_unit GXF reads from the meter, in one read.
 * Registers are FloatValue scaled exactly with their unit, counters LongValue without unit, the clock DateValue.
 *
 * GXF's bundle schema has the action (GetActualPowerQualityRequest) and its monitoring XSD the four elements, but
 * its Monitoring WSDL lists no operation for it: meterfabric answers it in bundles, over REST and, on the monitoring
 * endpoint, to the XSD's request element.
 */
import { withLink } from '../../adapters/mbus-keys.ts';
import { ClockClass, DataClass, RegisterClass, WellKnownObis, attributeOf } from '../../cosem/index.ts';
import { actualPowerQualityObjects } from '../../cosem/power-quality.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { record, text } from '../../api/soap/mapping.ts';
import { escapeXml } from '../../api/soap/xml.ts';
import { gatewayParams, pathDevice } from '../../api/rest/schemas.ts';
import { z } from 'zod';
import { define } from '../define.ts';
import { instantOf, protocolError } from './meter-reads.ts';
import { familyOf, longValue, profileTypeOf, profileTypeSchema, pqValueBody, scaledRegister, scalerUnitOf, type PqValue } from './power-quality.ts';

export interface ActualPowerQualityResult {
  powerQualityObjects: { name: string; unit?: string }[];
  powerQualityValues: PqValue[];
}

function renderObject(v: unknown, p: string): string {
  const o = record(v, `${p}:PowerQualityObject`);
  // The XSD requires a unit; a counter has none, so it is UNDEFINED on SOAP (JSON leaves it out).
  const unit = typeof o.unit === 'string' ? o.unit : 'UNDEFINED';
  return `<${p}:PowerQualityObject><${p}:Name>${escapeXml(String(o.name))}</${p}:Name><${p}:unit>${escapeXml(unit)}</${p}:unit></${p}:PowerQualityObject>`;
}

export default define({
  messageType: 'GET_ACTUAL_POWER_QUALITY',
  service: 'SmartMeteringMonitoring',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'GetActualPowerQualityRequest',
  payload: z.object({ profileType: profileTypeSchema }),
  soap: {
    request: 'ActualPowerQualityRequest',
    asyncResponse: 'ActualPowerQualityAsyncResponse',
    asyncRequest: 'ActualPowerQualityAsyncRequest',
    response: 'ActualPowerQualityResponse',
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: { profileType: profileTypeOf(text(r, 'ProfileType'), 'ActualPowerQuality') } }),
    render: (stored, p) => {
      const d = record(stored.data, 'data');
      const objects = Array.isArray(d.powerQualityObjects) ? d.powerQualityObjects : [];
      const values = Array.isArray(d.powerQualityValues) ? d.powerQualityValues : [];
      return (
        `<${p}:ActualPowerQualityData><${p}:PowerQualityObjects>${objects.map((o) => renderObject(o, p)).join('')}</${p}:PowerQualityObjects>` +
        `<${p}:PowerQualityValues>${values.map((v) => `<${p}:PowerQualityValue>${pqValueBody(v, p, `${p}:PowerQualityValue`)}</${p}:PowerQualityValue>`).join('')}</${p}:PowerQualityValues></${p}:ActualPowerQualityData>`
      );
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/power-quality/actual',
    operationId: 'getActualPowerQuality',
    summary: 'Read the clock and the actual power-quality values, PUBLIC (voltages, counters) or PRIVATE (currents, powers) (GetActualPowerQuality)',
    tag: 'monitoring',
    params: gatewayParams,
    body: z.object({ profileType: profileTypeSchema }).strict(),
    toRequest: (params, body) => ({ deviceIdentification: pathDevice(params), payload: { profileType: body.profileType as 'PUBLIC' | 'PRIVATE' } }),
  },
  async execute(ports, payload, ctx): Promise<ActualPowerQualityResult> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    const family = familyOf(device.protocol);
    const polyphase = (await ports.inventory.isPolyphase?.(device.deviceIdentification)) ?? false;
    const objects = actualPowerQualityObjects(family, payload.profileType, polyphase);
    const value = attributeOf(RegisterClass, 'value').id;
    const scalerUnit = attributeOf(RegisterClass, 'scaler_unit').id;
    const refs = [{ classId: ClockClass.classId, obis: WellKnownObis.CLOCK, attributeId: attributeOf(ClockClass, 'time').id }];
    for (const o of objects) {
      refs.push({ classId: o.classId, obis: o.obis, attributeId: o.classId === DataClass.classId ? attributeOf(DataClass, 'value').id : value });
      if (o.classId === RegisterClass.classId && !o.scalerUnit) refs.push({ classId: o.classId, obis: o.obis, attributeId: scalerUnit });
    }
    const results = await withLink(ports, device.deviceIdentification, ctx.signal, (link) => link.getAttributes(refs));
    if (results.length !== refs.length) throw protocolError(`Expected ${refs.length} GetResults: ${results.length}`);
    const data = results.map((r, i) => {
      if (r.kind === 'error') throw protocolError(`No success retrieving ${refs[i]!.classId}/${refs[i]!.obis.toString()}/${refs[i]!.attributeId}: AccessResultCode = ${dataAccessResultName(r.result)}`);
      return r.data;
    });
    let i = 0;
    const out: ActualPowerQualityResult = {
      powerQualityObjects: [{ name: 'CLOCK' }],
      powerQualityValues: [{ dateValue: instantOf(data[i++]!, 'clock time', 'Unexpected null/unspecified value for the clock') }],
    };
    for (const o of objects) {
      const d = data[i++]!;
      if (o.classId === DataClass.classId) {
        out.powerQualityObjects.push({ name: o.tag });
        out.powerQualityValues.push(longValue(d, o.tag));
        continue;
      }
      const su = o.scalerUnit ?? scalerUnitOf(data[i++]!, o.tag);
      const v = scaledRegister(d, su, o.tag);
      out.powerQualityObjects.push({ name: o.tag, unit: v.unit });
      out.powerQualityValues.push(v.value);
    }
    return out;
  },
});

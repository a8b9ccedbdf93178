/**
 * GetPowerQualityProfile (GXF's former GetProfileGenericData): the power-quality profiles of one type (PUBLIC or
 * PRIVATE) for a window, as GXF reads them (OSGP/open-smart-grid-platform, osgp/protocol-adapter-dlms
 * GetPowerQualityProfileCommandExecutor, AbstractGetPowerQualityProfileHandler and its selective-access /
 * no-selective-access handlers; docs/monitoring.md#getpowerqualityprofile):
 *
 * * candidates: the definable load profile 0-1:94.31.6.255 (every protocol) and, on SMR 5, power-quality profiles 1
 *   and 2 (1-0:99.1.1.255, 1-0:99.1.2.255); a profile whose selectable objects of the requested type are only the
 *   clock is skipped, none left is a protocol error;
 * * per profile: the meter's capture_objects (attribute 3) first; every captured object that is the clock or a
 *   selectable object of the type (L2/L3 only for polyphase devices) becomes a column, in the meter's order;
 * * the buffer with the range descriptor on the clock's time in the device's zone; a device with selective access
 *   (GXF's selective_access_supported, default false) gets those columns as selected_values, one without gets none
 *   and the columns are picked by position;
 * * values: the clock as DateValue (null → previous + capture period), registers scaled exactly (FloatValue) with
 *   their unit, counters LongValue, null → an empty StringValue; entries outside the window are dropped.
 *
 * The SelectedValues of the request are accepted and not used, as in GXF.
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { CLOCK_TIME, ProfileGenericClass, attributeOf } from '../../cosem/index.ts';
import type { RegisterRef } from '../../adapters/ports.ts';
import { powerQualityProfiles, type PqObject, type PqProfile, type PqProfileType } from '../../cosem/power-quality.ts';
import { captureObjectsFromData, columnPositions, returnedColumns, timeRange, type CaptureObjectDefinition } from '../../dlms/selective-access.ts';
import { captureStep, decodeProfileBuffer, fillTimestamps } from '../../dlms/profile.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { osgpUnitName, type ScalerUnit } from '../../dlms/scaler-unit.ts';
import { integerOf } from '../../dlms/axdr.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { el, IncompleteResultError, record, text } from '../../api/soap/mapping.ts';
import { escapeXml } from '../../api/soap/xml.ts';
import { gatewayParams, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { protocolError } from './meter-reads.ts';
import { isoOf } from './periodic-reads.ts';
import { familyOf, longValue, profileTypeOf, profileTypeSchema, pqValueBody, scaledRegister, scalerUnitOf, type PqValue } from './power-quality.ts';

export interface PqCaptureObject {
  classId: number;
  /** OBIS as six dotted decimals (GXF's ObisCode#asDecimalString). */
  logicalName: string;
  attributeIndex: number;
  dataIndex: number;
  unit: string;
}

export interface PowerQualityProfileData {
  logicalName: { a: number; b: number; c: number; d: number; e: number; f: number };
  captureObjects: PqCaptureObject[];
  profileEntries: { profileEntryValues: PqValue[] }[];
  profileType: PqProfileType;
}

export interface PowerQualityProfileResult {
  powerQualityProfileDatas: PowerQualityProfileData[];
}

const payloadSchema = z.object({ profileType: profileTypeSchema, beginDate: z.iso.datetime({ offset: true }), endDate: z.iso.datetime({ offset: true }) }).strict();
type Payload = z.infer<typeof payloadSchema>;

const dotted = (o: { bytes: Buffer }) => [...o.bytes].join('.');

/** The objects of a profile GXF would select for this type: the clock and the type's objects (L2/L3 for polyphase). */
function selectable(p: PqProfile, type: PqProfileType, polyphase: boolean): PqObject[] {
  return p.captured.filter((o) => o.profileType === type && (polyphase || !o.polyphaseOnly));
}

function renderData(v: unknown, p: string): string {
  const d = record(v, `${p}:PowerQualityProfileDatas`);
  const ln = record(d.logicalName, 'LogicalName');
  const obis = ['a', 'b', 'c', 'd', 'e', 'f'].map((k) => el(`common:${k}`, String(ln[k]))).join('');
  const cos = Array.isArray(d.captureObjects) ? d.captureObjects : [];
  const entries = Array.isArray(d.profileEntries) ? d.profileEntries : [];
  if (typeof d.profileType !== 'string') throw new IncompleteResultError('ProfileType');
  const captureObjects = cos
    .map((c) => {
      const x = record(c, 'CaptureObject');
      return `<common:CaptureObject>${el('common:ClassId', String(x.classId))}${el('common:DataIndex', String(x.dataIndex))}${el('common:AttributeIndex', String(x.attributeIndex))}${el('common:LogicalName', String(x.logicalName))}${el('common:unit', String(x.unit))}</common:CaptureObject>`;
    })
    .join('');
  const profileEntries = entries
    .map((e) => {
      const values = record(e, 'ProfileEntry').profileEntryValues;
      const body = (Array.isArray(values) ? values : [])
        .map((v) => `<common:ProfileEntryValue>${pqValueBody(v, 'common', 'ProfileEntryValue') || '<common:StringValue></common:StringValue>'}</common:ProfileEntryValue>`)
        .join('');
      return `<common:ProfileEntry>${body}</common:ProfileEntry>`;
    })
    .join('');
  return (
    `<${p}:PowerQualityProfileDatas><${p}:LogicalName>${obis}</${p}:LogicalName><${p}:CaptureObjects>${captureObjects}</${p}:CaptureObjects>` +
    `<${p}:ProfileEntries>${profileEntries}</${p}:ProfileEntries>${el(`${p}:ProfileType`, escapeXml(d.profileType))}</${p}:PowerQualityProfileDatas>`
  );
}

export default define({
  // GXF kept the message type of GetProfileGenericData (notification-ws-smartmetering.xsd NotificationType).
  messageType: 'GET_PROFILE_GENERIC_DATA',
  service: 'SmartMeteringMonitoring',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'GetPowerQualityProfileRequest',
  payload: payloadSchema,
  soap: {
    request: 'GetPowerQualityProfileRequest',
    asyncResponse: 'GetPowerQualityProfileAsyncResponse',
    asyncRequest: 'GetPowerQualityProfileAsyncRequest',
    response: 'GetPowerQualityProfileResponse',
    wsdlOperations: ['GetPowerQualityProfile', 'GetPowerQualityProfileResponse'],
    family: 'strict',
    read: (r) => ({
      deviceIdentification: text(r, 'DeviceIdentification'),
      payload: { profileType: profileTypeOf(text(r, 'ProfileType'), 'GetPowerQualityProfile'), beginDate: isoOf(text(r, 'BeginDate')), endDate: isoOf(text(r, 'EndDate')) },
    }),
    render: (stored, p) => {
      const d = record(stored.data, 'data');
      const datas = d.powerQualityProfileDatas;
      if (!Array.isArray(datas) || datas.length === 0) throw new IncompleteResultError('PowerQualityProfileDatas');
      return datas.map((x) => renderData(x, p)).join('');
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/power-quality/profile',
    operationId: 'getPowerQualityProfile',
    summary: 'Read the power-quality profiles of one type (PUBLIC or PRIVATE) for a window: capture objects and entries (GetPowerQualityProfile)',
    tag: 'monitoring',
    params: gatewayParams,
    body: payloadSchema,
    toRequest: (params, body) => ({ deviceIdentification: pathDevice(params), payload: body as Payload }),
  },
  async execute(ports, payload, ctx): Promise<PowerQualityProfileResult> {
    const from = new Date(payload.beginDate);
    const to = new Date(payload.endDate);
    if (from.getTime() > to.getTime()) {
      throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'BeginDate must not be after EndDate', { component: 'DOMAIN_SMART_METERING', retryable: false });
    }
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    const family = familyOf(device.protocol);
    const polyphase = (await ports.inventory.isPolyphase?.(device.deviceIdentification)) ?? false;
    const flags = (await ports.inventory.getReadFlags?.(device.deviceIdentification)) ?? { periodicColumnSelection: true, selectiveAccess: false };
    const zone = (await ports.inventory.getTimezone(device.deviceIdentification)) ?? 'UTC';
    const candidates = powerQualityProfiles(family)
      .map((p) => ({ p, objects: selectable(p, payload.profileType, polyphase) }))
      .filter((c) => c.objects.length > 0);
    if (candidates.length === 0) {
      throw protocolError(`No PQ profile found in profile ${device.protocol} for ${payload.profileType}`);
    }
    const captureObjectsId = attributeOf(ProfileGenericClass, 'capture_objects').id;
    const capturePeriodId = attributeOf(ProfileGenericClass, 'capture_period').id;
    return withLink(ports, device.deviceIdentification, ctx.signal, async (link) => {
      if (!link.readProfile) throw new MeterfabricError(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL, 'profile reads are not available on this link', { retryable: false });
      const datas: PowerQualityProfileData[] = [];
      for (const { p, objects } of candidates) {
        const what = `profile ${p.obis.toString()}`;
        const got = await link.getAttributes([
          { classId: ProfileGenericClass.classId, obis: p.obis, attributeId: captureObjectsId },
          { classId: ProfileGenericClass.classId, obis: p.obis, attributeId: capturePeriodId },
        ]);
        const [co, cp] = got;
        if (!co || !cp) throw protocolError(`Expected 2 GetResults: ${got.length}`);
        if (co.kind === 'error') throw protocolError(`No success retrieving capture objects of ${what}: AccessResultCode = ${dataAccessResultName(co.result)}`);
        if (cp.kind === 'error') throw protocolError(`No success retrieving capture period of ${what}: AccessResultCode = ${dataAccessResultName(cp.result)}`);
        let meterColumns: CaptureObjectDefinition[];
        let period: number;
        try {
          meterColumns = captureObjectsFromData(co.data, `capture_objects of ${what}`);
          period = Number(integerOf(cp.data));
        } catch (e) {
          throw protocolError(`${what}: ${(e as Error).message}`, e);
        }
        // The columns: the clock and the selectable objects, matched by class and OBIS, in the meter's order.
        const columns: { capture: CaptureObjectDefinition; object?: PqObject }[] = [];
        for (const c of meterColumns) {
          if (c.classId === CLOCK_TIME.classId && c.logicalName.equals(CLOCK_TIME.logicalName)) columns.push({ capture: c });
          else {
            const o = objects.find((x) => x.classId === c.classId && x.obis.equals(c.logicalName));
            if (o) columns.push({ capture: c, object: o });
          }
        }
        const clockAt = columns.findIndex((c) => !c.object);
        if (clockAt < 0) throw protocolError(`${what}: the meter captures no clock`);
        const needScaler = columns.filter((c) => c.object && c.object.classId === 3 && !c.object.scalerUnit);
        const registers: RegisterRef[] = needScaler.map((c) => ({ kind: 'register', obis: c.capture.logicalName }));
        const selectedValues = flags.selectiveAccess ? columns.map((c) => c.capture) : [];
        const read = await link.readProfile({
          obis: p.obis,
          selection: { kind: 'range', range: timeRange({ clockTime: CLOCK_TIME, from, to, zone, selectedValues }) },
          scalerUnits: registers,
        });
        try {
          const scalers = new Map<PqObject, ScalerUnit>();
          needScaler.forEach((c, k) => scalers.set(c.object!, scalerUnitOf(read.scalerUnits[k]!, c.object!.tag)));
          const su = (o: PqObject): ScalerUnit | undefined => (o.classId === 3 ? (o.scalerUnit ?? scalers.get(o)) : undefined);
          const returned = returnedColumns(meterColumns, selectedValues);
          const positions = columnPositions(returned, columns.map((c) => c.capture));
          const entries = decodeProfileBuffer(read.buffer, returned);
          const times = fillTimestamps(
            entries.map((e) => {
              const cell = e.cells[positions[clockAt]!]!;
              if (cell.kind === 'date-time') return cell.value.instant;
              if (cell.kind === 'null') return null;
              throw protocolError(`${what}: the clock column holds ${cell.kind}`);
            }),
            captureStep(period, zone),
          );
          const profileEntries: PowerQualityProfileData['profileEntries'] = [];
          entries.forEach((e, i) => {
            const t = times[i];
            if (!t || t < from || t > to) return;
            const values = columns.map((c, k): PqValue => {
              const d = e.values[positions[k]!]!;
              if (!c.object) return { dateValue: t.toISOString() };
              const s = su(c.object);
              if (!s) return longValue(d, c.object.tag);
              const v = scaledRegister(d, s, c.object.tag);
              return v.unit === 'COUNT' && v.value.floatValue !== undefined ? { longValue: v.value.floatValue.split('.')[0]! } : v.value;
            });
            profileEntries.push({ profileEntryValues: values });
          });
          const b = p.obis.bytes;
          datas.push({
            logicalName: { a: b[0]!, b: b[1]!, c: b[2]!, d: b[3]!, e: b[4]!, f: b[5]! },
            captureObjects: columns.map((c) => {
              const s = c.object ? su(c.object) : undefined;
              return { classId: c.capture.classId, logicalName: dotted(c.capture.logicalName), attributeIndex: c.capture.attributeIndex, dataIndex: c.capture.dataIndex, unit: s ? osgpUnitName(s.unit) : 'UNDEFINED' };
            }),
            profileEntries,
            profileType: payload.profileType,
          });
        } catch (e) {
          if (e instanceof MeterfabricError && e.code === ErrorCode.ILLEGAL_RESPONSE) throw e;
          throw protocolError(`${what}: ${(e as Error).message}`, e);
        }
      }
      return { powerQualityProfileDatas: datas };
    });
  },
});

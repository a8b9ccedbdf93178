/**
 * GetPeriodicMeterReads: the E-meter's load profile for a window, as GXF reports it (OSGP/open-smart-grid-platform,
 * osgp/protocol-adapter-dlms GetPeriodicMeterReadsCommandExecutor; docs/gxf.md#periodic-meter-reads). INTERVAL reads
 * the 15-minute profile 1-0:99.1.0.255 (import and export totals), DAILY the daily profile 1-0:99.2.0.255 and MONTHLY
 * the monthly billing profile (0-0:98.1.0.255 on DSMR 4.2.2, 1-0:98.1.0.255 on SMR 5), both with the four tariff
 * registers; every entry with its log time and AMR profile status (DSMR 4.2.2's monthly profile has none). Values in
 * KWH. SMR 4.3 has no E profile in GXF's configuration: refused as GXF refuses it.
 */
import { withLink } from '../../adapters/mbus-keys.ts';
import { electricityProfile, isElectricityColumn, profileFamily, type EnergyField } from '../../cosem/index.ts';
import { record } from '../../api/soap/mapping.ts';
import { gatewayParams, pathDevice } from '../../api/rest/schemas.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { define } from '../define.ts';
import type { MeterValue } from './meter-reads.ts';
import {
  amrCell,
  amrElement,
  cellValue,
  dateTimeElement,
  meterValueElement,
  periodicBody,
  periodicPayload,
  periodicWindow,
  readPeriodicProfile,
  readPeriodicRequest,
  renderPeriodicResult,
  type PeriodType,
} from './periodic-reads.ts';

export interface PeriodicMeterReadsEntry {
  logTime: string;
  activeEnergyImport?: MeterValue;
  activeEnergyExport?: MeterValue;
  activeEnergyImportTariffOne?: MeterValue;
  activeEnergyImportTariffTwo?: MeterValue;
  activeEnergyExportTariffOne?: MeterValue;
  activeEnergyExportTariffTwo?: MeterValue;
  amrProfileStatusCode?: string[];
}

export interface PeriodicMeterReadsResult {
  periodType: PeriodType;
  periodicMeterReads: PeriodicMeterReadsEntry[];
}

/** Result field and SOAP element of each register, in the XSD's element order. */
const FIELDS: readonly [EnergyField, keyof PeriodicMeterReadsEntry, string][] = [
  ['import', 'activeEnergyImport', 'ActiveEnergyImport'],
  ['export', 'activeEnergyExport', 'ActiveEnergyExport'],
  ['importTariff1', 'activeEnergyImportTariffOne', 'ActiveEnergyImportTariffOne'],
  ['importTariff2', 'activeEnergyImportTariffTwo', 'ActiveEnergyImportTariffTwo'],
  ['exportTariff1', 'activeEnergyExportTariffOne', 'ActiveEnergyExportTariffOne'],
  ['exportTariff2', 'activeEnergyExportTariffTwo', 'ActiveEnergyExportTariffTwo'],
];

function renderEntry(v: unknown, p: string): string {
  const e = record(v, `${p}:PeriodicMeterReads`);
  const body =
    dateTimeElement(`${p}:LogTime`, e.logTime) +
    FIELDS.map(([, field, element]) => (e[field] === undefined ? '' : meterValueElement(`${p}:${element}`, e[field]))).join('') +
    amrElement(p, e.amrProfileStatusCode);
  return `<${p}:PeriodicMeterReads>${body}</${p}:PeriodicMeterReads>`;
}

export default define({
  messageType: 'REQUEST_PERIODIC_METER_DATA',
  service: 'SmartMeteringMonitoring',
  functionGroup: 'OWNER',
  contactsDevice: true,
  payload: periodicPayload,
  soap: {
    request: 'PeriodicMeterReadsRequest',
    asyncResponse: 'PeriodicMeterReadsAsyncResponse',
    asyncRequest: 'PeriodicMeterReadsAsyncRequest',
    response: 'PeriodicMeterReadsResponse',
    wsdlOperations: ['GetPeriodicMeterReads', 'GetPeriodicMeterReadsResponse'],
    family: 'strict',
    read: (r) => {
      const { deviceIdentification, payload } = readPeriodicRequest(r);
      return { deviceIdentification, payload: payload };
    },
    render: (stored, p) => renderPeriodicResult(stored, 'periodicMeterReads', p, renderEntry),
  },
  rest: {
    url: '/devices/:deviceIdentification/meter-reads/periodic',
    operationId: 'getPeriodicMeterReads',
    summary: 'Read the E-meter load profile for a window: 15-minute, daily or monthly entries in kWh with AMR status (GetPeriodicMeterReads)',
    tag: 'monitoring',
    params: gatewayParams,
    body: periodicBody.strict(),
    toRequest: (params, body) => ({
      deviceIdentification: pathDevice(params),
      payload: { periodType: body.periodType as PeriodType, beginDate: body.beginDate as string, endDate: body.endDate as string },
    }),
  },
  async execute(ports, payload, ctx): Promise<PeriodicMeterReadsResult> {
    const { from, to } = periodicWindow(payload);
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    const family = profileFamily(device.protocol, 'E');
    if (!family) {
      throw new MeterfabricError(ErrorCode.ILLEGAL_RESPONSE, `No address found for ${payload.periodType} values in protocol ${device.protocol}`, { component: 'PROTOCOL_DLMS', retryable: false });
    }
    const profile = electricityProfile(family, payload.periodType);
    // INTERVAL fills import and export only, DAILY and MONTHLY the four tariffs only (GXF's executor).
    const wanted = profile.columns.filter(isElectricityColumn);
    const zone = (await ports.inventory.getTimezone(device.deviceIdentification)) ?? 'UTC';
    const flags = (await ports.inventory.getReadFlags?.(device.deviceIdentification)) ?? { periodicColumnSelection: true, selectiveAccess: false };
    const read = await withLink(ports, device.deviceIdentification, ctx.signal, (link) =>
      readPeriodicProfile(link, { profile, wanted, from, to, zone, columnSelection: flags.periodicColumnSelection }),
    );
    const periodicMeterReads = read.rows.map((row) => {
      const entry: PeriodicMeterReadsEntry = { logTime: row.logTime.toISOString() };
      wanted.forEach((c, i) => {
        const m = c.meaning;
        if (m.role === 'amr-status') entry.amrProfileStatusCode = amrCell(row.values[i]!);
        if (m.role !== 'energy') return;
        const field = FIELDS.find(([f]) => f === m.field)![1];
        const v = cellValue(row.values[i]!, read.scalerUnits.get(i)!, `${c.capture.logicalName.toString()} at ${entry.logTime}`);
        if (v) (entry as unknown as Record<string, MeterValue>)[field] = v;
      });
      return entry;
    });
    return { periodType: payload.periodType, periodicMeterReads };
  },
});

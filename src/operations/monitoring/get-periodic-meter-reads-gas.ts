/**
 * GetPeriodicMeterReadsGas: a gas meter's profile for a window through its gateway, as GXF reports it
 * (OSGP/open-smart-grid-platform, osgp/protocol-adapter-dlms GetPeriodicMeterReadsGasCommandExecutor;
 * docs/gxf.md#periodic-meter-reads). The request names the G-meter; gateway and channel come from the inventory's
 * coupling (none: fault 220). INTERVAL reads the hourly profile 0-<ch>:24.3.0.255; DAILY and MONTHLY read
 * DSMR 4.2.2's combined E profiles (the channel's value and capture time columns) and SMR 5's
 * 0-<ch>:24.3.1.255 / 0-<ch>:24.3.2.255. Consumption in M3 with the meter's capture time and AMR status.
 *
 * REST also takes the gateway with `channel` in the body; given with a G-meter, `channel` must be its coupling's.
 */
import { z } from 'zod';
import { coupledMbusDevice, withLink } from '../../adapters/mbus-keys.ts';
import { captureStep, nextCaptureTime } from '../../dlms/profile.ts';
import { gasProfile, isGasColumn, profileFamily } from '../../cosem/index.ts';
import { record } from '../../api/soap/mapping.ts';
import { gatewayParams, pathDevice } from '../../api/rest/schemas.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { define } from '../define.ts';
import { protocolError, type MeterValue } from './meter-reads.ts';
import {
  amrCell,
  amrElement,
  captureTimeCell,
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

export interface PeriodicMeterReadsGasEntry {
  logTime: string;
  consumption: MeterValue;
  captureTime: string;
  amrProfileStatusCode?: string[];
}

export interface PeriodicMeterReadsGasResult {
  periodType: PeriodType;
  periodicMeterReadsGas: PeriodicMeterReadsGasEntry[];
}

const payload = periodicPayload.extend({ channel: z.number().int().min(1).max(4).optional() });
type GasPayload = z.infer<typeof payload>;

function renderEntry(v: unknown, p: string): string {
  const e = record(v, `${p}:PeriodicMeterReadsGas`);
  const body = dateTimeElement(`${p}:LogTime`, e.logTime) + meterValueElement(`${p}:Consumption`, e.consumption) + dateTimeElement(`${p}:CaptureTime`, e.captureTime) + amrElement(p, e.amrProfileStatusCode);
  return `<${p}:PeriodicMeterReadsGas>${body}</${p}:PeriodicMeterReadsGas>`;
}

function validation(message: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.VALIDATION_ERROR, message, { component: 'DOMAIN_SMART_METERING', retryable: false });
}

export default define({
  messageType: 'REQUEST_PERIODIC_METER_DATA_GAS',
  service: 'SmartMeteringMonitoring',
  functionGroup: 'OWNER',
  contactsDevice: true,
  payload,
  soap: {
    request: 'PeriodicMeterReadsGasRequest',
    asyncResponse: 'PeriodicMeterReadsGasAsyncResponse',
    asyncRequest: 'PeriodicMeterReadsGasAsyncRequest',
    response: 'PeriodicMeterReadsGasResponse',
    wsdlOperations: ['GetPeriodicMeterReadsGas', 'GetPeriodicMeterReadsGasResponse'],
    family: 'strict',
    read: (r) => {
      const { deviceIdentification, payload } = readPeriodicRequest(r);
      return { deviceIdentification, payload: payload as GasPayload };
    },
    render: (stored, p) => renderPeriodicResult(stored, 'periodicMeterReadsGas', p, renderEntry),
  },
  rest: {
    url: '/devices/:deviceIdentification/meter-reads/periodic-gas',
    operationId: 'getPeriodicMeterReadsGas',
    summary: 'Read a gas meter profile for a window: hourly, daily or monthly values in m³ with capture time and AMR status (GetPeriodicMeterReadsGas)',
    tag: 'monitoring',
    params: gatewayParams,
    body: periodicBody.extend({ channel: z.number().int().min(1).max(4).optional().describe('M-Bus channel 1..4: required when the path names the gateway, else the gas meter\'s own') }).strict(),
    toRequest: (params, body) => ({
      deviceIdentification: pathDevice(params),
      payload: {
        periodType: body.periodType as PeriodType,
        beginDate: body.beginDate as string,
        endDate: body.endDate as string,
        ...(body.channel === undefined ? {} : { channel: body.channel as number }),
      },
    }),
  },
  async execute(ports, p, ctx): Promise<PeriodicMeterReadsGasResult> {
    const { from, to } = periodicWindow(p);
    let gatewayId: string;
    let channel: number;
    if (await ports.inventory.getMbusDevice(ctx.deviceIdentification)) {
      const c = await coupledMbusDevice(ports, ctx.deviceIdentification);
      if (p.channel !== undefined && p.channel !== c.channel) throw validation(`${ctx.deviceIdentification} is on channel ${c.channel}, not ${p.channel}`);
      gatewayId = c.gateway;
      channel = c.channel;
    } else {
      await ports.inventory.getGateway(ctx.deviceIdentification);
      if (p.channel === undefined) throw validation('channel is required when the device is the gateway');
      gatewayId = ctx.deviceIdentification;
      channel = p.channel;
    }
    const gateway = await ports.inventory.getGateway(gatewayId);
    const family = profileFamily(gateway.protocol, 'G');
    if (!family) throw protocolError(`No address found for ${p.periodType} gas values in protocol ${gateway.protocol}`);
    const profile = gasProfile(family, p.periodType, channel);
    const wanted = profile.columns.filter((c) => isGasColumn(c, channel));
    const zone = (await ports.inventory.getTimezone(gatewayId)) ?? 'UTC';
    const flags = (await ports.inventory.getReadFlags?.(gatewayId)) ?? { periodicColumnSelection: true, selectiveAccess: false };
    const read = await withLink(ports, gatewayId, ctx.signal, (link) => readPeriodicProfile(link, { profile, wanted, from, to, zone, columnSelection: flags.periodicColumnSelection }));
    const valueAt = wanted.findIndex((c) => c.meaning.role === 'mbus-value');
    const captureAt = wanted.findIndex((c) => c.meaning.role === 'mbus-capture-time');
    const statusAt = wanted.findIndex((c) => c.meaning.role === 'amr-status');
    const step = captureStep(profile.capturePeriod, zone);
    const out: PeriodicMeterReadsGasEntry[] = [];
    let previousCapture: Date | null = null;
    for (const row of read.rows) {
      const logTime = row.logTime.toISOString();
      const consumption = cellValue(row.values[valueAt]!, read.scalerUnits.get(valueAt)!, `M-Bus value channel ${channel} at ${logTime}`);
      // A null capture time is the previous one + one period; an unspecified one is an error (GXF).
      const c = captureTimeCell(row.values[captureAt]!, `capture time at ${logTime}`);
      if (c === 'unspecified') throw protocolError('Unexpected null/unspecified value for M-Bus Capture Time');
      const captured: Date | null = c ?? (previousCapture ? nextCaptureTime(previousCapture, step) : null);
      if (captured) previousCapture = captured;
      // An entry without a value (no device on the channel then) has nothing to report: GXF's Consumption is required.
      if (!consumption || !captured) continue;
      const entry: PeriodicMeterReadsGasEntry = { logTime, consumption, captureTime: captured.toISOString() };
      if (statusAt >= 0) entry.amrProfileStatusCode = amrCell(row.values[statusAt]!);
      out.push(entry);
    }
    return { periodType: p.periodType, periodicMeterReadsGas: out };
  },
});

/**
 * GetActualMeterReads: the E-meter's clock and its energy registers, import and export, total and per tariff, as
 * GXF reports them (OSGP/open-smart-grid-platform, osgp-adapter-protocol-dlms GetActualMeterReadsCommandExecutor
 * and osgp-adapter-domain-smartmetering DlmsMeterValueConverter; docs/dlms.md#scaler-unit): one read of the clock
 * and the six class 3 registers 1-0:1.8.0/1.8.1/1.8.2/2.8.0/2.8.1/2.8.2 (one get-request-with-list where the meter
 * allows it), Wh reported as KWH. LogTime is the meter's clock; an unspecified clock is a protocol error.
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import type { RegisterRef } from '../../adapters/ports.ts';
import { EnergyRegisterObis } from '../../cosem/index.ts';
import { record, text } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { dateTimeElement, instantOf, meterValue, meterValueElement, type MeterValue } from './meter-reads.ts';

export interface ActualMeterReadsResult {
  logTime: string;
  activeEnergyImport: MeterValue;
  activeEnergyExport: MeterValue;
  activeEnergyImportTariffOne: MeterValue;
  activeEnergyImportTariffTwo: MeterValue;
  activeEnergyExportTariffOne: MeterValue;
  activeEnergyExportTariffTwo: MeterValue;
}

/** Result field, SOAP element and register, in the XSD's element order. */
const FIELDS = [
  ['activeEnergyImport', 'ActiveEnergyImport', EnergyRegisterObis.IMPORT],
  ['activeEnergyExport', 'ActiveEnergyExport', EnergyRegisterObis.EXPORT],
  ['activeEnergyImportTariffOne', 'ActiveEnergyImportTariffOne', EnergyRegisterObis.IMPORT_TARIFF_1],
  ['activeEnergyImportTariffTwo', 'ActiveEnergyImportTariffTwo', EnergyRegisterObis.IMPORT_TARIFF_2],
  ['activeEnergyExportTariffOne', 'ActiveEnergyExportTariffOne', EnergyRegisterObis.EXPORT_TARIFF_1],
  ['activeEnergyExportTariffTwo', 'ActiveEnergyExportTariffTwo', EnergyRegisterObis.EXPORT_TARIFF_2],
] as const;

const REGISTERS: readonly RegisterRef[] = FIELDS.map(([, , obis]) => ({ kind: 'register', obis }));

export default define({
  messageType: 'REQUEST_ACTUAL_METER_DATA',
  service: 'SmartMeteringMonitoring',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'GetActualMeterReadsRequest',
  payload: z.object({}),
  soap: {
    request: 'ActualMeterReadsRequest',
    asyncResponse: 'ActualMeterReadsAsyncResponse',
    asyncRequest: 'ActualMeterReadsAsyncRequest',
    response: 'ActualMeterReadsResponse',
    wsdlOperations: ['GetActualMeterReads', 'GetActualMeterReadsResponse'],
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: (stored, p) => {
      const d = record(stored.data, 'data');
      return dateTimeElement(`${p}:LogTime`, d.logTime) + FIELDS.map(([field, element]) => meterValueElement(`${p}:${element}`, d[field])).join('');
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/meter-reads/actual',
    operationId: 'getActualMeterReads',
    summary: 'Read the E-meter clock and energy registers, import and export, total and per tariff, in kWh (GetActualMeterReads)',
    tag: 'monitoring',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  async execute(ports, _payload, ctx): Promise<ActualMeterReadsResult> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    const read = await withLink(ports, device.deviceIdentification, ctx.signal, (link) => link.readMeterValues({ clock: true, registers: REGISTERS }));
    const logTime = instantOf({ type: 'octet-string', value: read.clock! }, 'clock time', 'Unexpected null/unspecified value for Actual Energy Reads Time');
    const values = Object.fromEntries(FIELDS.map(([field, , obis], i) => [field, meterValue(read.registers[i]!, obis.toString())]));
    return { logTime, ...values } as ActualMeterReadsResult;
  },
});

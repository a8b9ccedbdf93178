/**
 * GetActualMeterReadsGas: the gas meter's last value through its gateway (OSGP/open-smart-grid-platform,
 * osgp-adapter-protocol-dlms GetActualMeterReadsGasCommandExecutor): the request names the G-meter; gateway and
 * channel come from the inventory's coupling (none: fault 220 GATEWAY_DEVICE_NOT_SET_FOR_MBUS_DEVICE, as GXF's
 * domain answers). Reads value, scaler_unit and capture_time of the class 4 object 0-<ch>:24.2.1.255 (DSMR 4.2.2
 * "M-Bus master value", SMR 5 its 5-minute value) in one get-request-with-list where allowed; m³ reported as M3.
 * LogTime is the head-end's time of the read, CaptureTime the meter's; an unspecified capture time is a protocol error.
 */
import { z } from 'zod';
import { coupledMbusDevice, withLink } from '../../adapters/mbus-keys.ts';
import { mbusMasterValueObis } from '../../cosem/index.ts';
import { record, text } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { dateTimeElement, instantOf, meterValue, meterValueElement, type MeterValue } from './meter-reads.ts';

export interface ActualMeterReadsGasResult {
  logTime: string;
  consumption: MeterValue;
  captureTime: string;
}

export default define({
  messageType: 'REQUEST_ACTUAL_METER_DATA_GAS',
  service: 'SmartMeteringMonitoring',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'GetActualMeterReadsGasRequest',
  // The request's device is the gas meter.
  payload: z.object({}),
  soap: {
    request: 'ActualMeterReadsGasRequest',
    asyncResponse: 'ActualMeterReadsGasAsyncResponse',
    asyncRequest: 'ActualMeterReadsGasAsyncRequest',
    response: 'ActualMeterReadsGasResponse',
    wsdlOperations: ['GetActualMeterReadsGas', 'GetActualMeterReadsGasResponse'],
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: (stored, p) => {
      const d = record(stored.data, 'data');
      return dateTimeElement(`${p}:LogTime`, d.logTime) + meterValueElement(`${p}:Consumption`, d.consumption) + dateTimeElement(`${p}:CaptureTime`, d.captureTime);
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/meter-reads/actual-gas',
    operationId: 'getActualMeterReadsGas',
    summary: 'Read the last value of this gas meter through its gateway, in m³ with its capture time (GetActualMeterReadsGas)',
    tag: 'monitoring',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  async execute(ports, _payload, ctx): Promise<ActualMeterReadsGasResult> {
    const { gateway, channel } = await coupledMbusDevice(ports, ctx.deviceIdentification);
    const obis = mbusMasterValueObis(channel);
    const read = await withLink(ports, gateway, ctx.signal, (link) => link.readMeterValues({ clock: false, registers: [{ kind: 'extended-register', obis }] }));
    const logTime = (ports.now?.() ?? new Date()).toISOString();
    const reading = read.registers[0]!;
    const captureTime = instantOf(reading.captureTime ?? { type: 'null-data' }, 'capture_time', 'Unexpected null/unspecified value for M-Bus Capture Time');
    return { logTime, consumption: meterValue(reading, obis.toString()), captureTime };
  },
});

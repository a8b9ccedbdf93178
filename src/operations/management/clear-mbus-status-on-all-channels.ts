/**
 * ClearMBusStatusOnAllChannels: for channel 1..4 in order, reads the M-Bus status the gateway keeps for the channel
 * (class 4, 0-<ch>:24.2.6.255, attribute 2); a status of 0 goes on to the next channel; otherwise the status is
 * written to the channel's clear status mask (class 1, 0-<ch>:94.31.10.255, attribute 2, double-long-unsigned) and
 * the channel's M-Bus client (class 72, 0-<ch>:24.1.0.255) is told reset_alarm (method 4, integer 0), which clears
 * the masked bits. The first refusal ends the request NOT_OK and leaves the later channels as they are. As GXF
 * (OSGP/open-smart-grid-platform, osgp-adapter-protocol-dlms ClearMBusStatusOnAllChannelsCommandExecutor; the
 * objects exist from SMR 5.1 on, dlmsprofile-smr51.json): an older protocol is 416 here, where GXF fails on the
 * missing object address. The answer's Description names the statuses that were cleared (GXF leaves it out).
 */
import { z } from 'zod';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { withLink } from '../../adapters/mbus-keys.ts';
import { DataClass, ExtendedRegisterClass, MBUS_CHANNELS, attributeOf, mbusClearStatusMaskObis, mbusStatusObis } from '../../cosem/index.ts';
import { Data, dataNumber } from '../../dlms/axdr.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { el, record, resultText, text } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

export interface ClearMbusStatusResult {
  /** Per channel read: the status found (0 = nothing to clear) and whether it was cleared. */
  channels: { channel: number; status: number; cleared: boolean }[];
}

/** SMR 5.1 and later (the status and clear mask objects are not in SMR 5.0 or DSMR 4). */
export function supportsMbusStatusClearing(protocol: string): boolean {
  const m = /^SMR (\d+)\.(\d+)/.exec(protocol);
  return Boolean(m && (Number(m[1]) > 5 || (Number(m[1]) === 5 && Number(m[2]) >= 1)));
}

const meterError = (code: (typeof ErrorCode)[keyof typeof ErrorCode], message: string, result: number) =>
  new MeterfabricError(code, message, { component: 'PROTOCOL_DLMS', retryable: false, details: { result } });

/** The Description of the answer: which channels had a status, in GXF's hexadecimal spelling. */
export function clearedText(r: ClearMbusStatusResult): string {
  const cleared = r.channels.filter((c) => c.cleared);
  if (cleared.length === 0) return 'No M-Bus channel had a status to clear';
  return cleared.map((c) => `channel ${c.channel}: status 0x${c.status.toString(16).toUpperCase().padStart(8, '0')} cleared`).join('; ');
}

export default define({
  messageType: 'CLEAR_MBUS_STATUS_ON_ALL_CHANNELS',
  service: 'SmartMeteringManagement',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'ClearMBusStatusOnAllChannelsRequest',
  payload: z.object({}),
  soap: {
    request: 'ClearMBusStatusOnAllChannelsRequest',
    asyncResponse: 'ClearMBusStatusOnAllChannelsAsyncResponse',
    asyncRequest: 'ClearMBusStatusOnAllChannelsAsyncRequest',
    response: 'ClearMBusStatusOnAllChannelsResponse',
    wsdlOperations: ['ClearMBusStatusOnAllChannels', 'GetClearMBusStatusOnAllChannelsResponse'],
    family: 'lenient',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: (stored, p) => {
      const d = stored.data === undefined || stored.data === null ? undefined : record(stored.data, 'data') as Partial<ClearMbusStatusResult>;
      const description = Array.isArray(d?.channels) ? el(`${p}:Description`, clearedText(d as ClearMbusStatusResult)) : '';
      return el(`${p}:Result`, resultText(stored.result)) + description;
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/mbus/status/clear',
    operationId: 'clearMbusStatusOnAllChannels',
    summary: 'Clear the M-Bus status of every channel that has one (ClearMBusStatusOnAllChannels, SMR 5.1+)',
    tag: 'management',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  async execute(ports, _payload, ctx): Promise<ClearMbusStatusResult> {
    const gateway = await ports.inventory.getGateway(ctx.deviceIdentification);
    if (!supportsMbusStatusClearing(gateway.protocol)) {
      throw new MeterfabricError(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL,
        `ClearMBusStatusOnAllChannels needs SMR 5.1 or later; ${gateway.deviceIdentification} speaks ${gateway.protocol}`, { component: 'PROTOCOL_DLMS', retryable: false });
    }
    const value = attributeOf(DataClass, 'value').id;
    const statusValue = attributeOf(ExtendedRegisterClass, 'value').id;
    return withLink(ports, gateway.deviceIdentification, ctx.signal, async (link) => {
      const channels: ClearMbusStatusResult['channels'] = [];
      for (const channel of MBUS_CHANNELS) {
        const [read] = await link.getAttributes([{ classId: ExtendedRegisterClass.classId, obis: mbusStatusObis(channel), attributeId: statusValue }]);
        if (!read || read.kind === 'error') {
          const result = read?.kind === 'error' ? read.result : -1;
          throw meterError(ErrorCode.DATA_ACCESS_RESULT, `Unable to read the M-Bus status of channel ${channel}: ${dataAccessResultName(result)}`, result);
        }
        const status = dataNumber(read.data, `M-Bus status of channel ${channel}`);
        if (status === undefined) throw meterError(ErrorCode.DATA_ACCESS_RESULT, `The M-Bus status of channel ${channel} is not a number`, -1);
        if (status === 0) {
          channels.push({ channel, status, cleared: false });
          continue;
        }
        const set = await link.setAttribute({ classId: DataClass.classId, obis: mbusClearStatusMaskObis(channel), attributeId: value }, Data.doubleLongUnsigned(status));
        if (set !== 0) throw meterError(ErrorCode.DATA_ACCESS_RESULT, `Unable to set clear status mask for M-Bus channel ${channel}: ${dataAccessResultName(set)}`, set);
        await link.resetMbusAlarm(channel);
        channels.push({ channel, status, cleared: true });
      }
      return { channels };
    });
  },
});

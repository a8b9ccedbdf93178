/**
 * FindMessageLogs: one page of the device's DLMS message log (docs/gxf.md#device-message-log), newest first, 30 per
 * page, pages counted from 0, as GXF's FindMessageLogsRequest (OSGP/open-smart-grid-platform,
 * osgp-adapter-ws-smartmetering FindMessageLogsSyncRequestExecutor, device function GET_MESSAGES). Asynchronous
 * like GXF's: the page is read when the request runs and stored as its response. No meter contact.
 */
import { z } from 'zod';
import { el, IncompleteResultError, record, text, validation } from '../../api/soap/mapping.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import type { MessageLogPage } from '../../platform/message-log.ts';
import { define } from '../define.ts';

const page = z.number().int().min(0).max(2_147_483_647);

/** A stored log row as the XSD's MessageLog (all seven children required). */
function messageLog(v: unknown, p: string): string {
  const m = record(v, 'messageLogs[]');
  if (typeof m.timestamp !== 'string' || typeof m.deviceIdentification !== 'string' || typeof m.decodedMessage !== 'string' ||
      typeof m.encodedMessage !== 'string' || typeof m.incoming !== 'boolean') {
    throw new IncompleteResultError('messageLogs[]');
  }
  const organisation = typeof m.organisationIdentification === 'string' && m.organisationIdentification !== '' ? m.organisationIdentification : 'UNKNOWN';
  return `<${p}:MessageLogs>${el(`${p}:Timestamp`, m.timestamp)}${el(`${p}:OrganisationIdentification`, organisation)}` +
    `${el(`${p}:DeviceIdentification`, m.deviceIdentification)}${el(`${p}:DecodedMessage`, m.decodedMessage)}` +
    `${el(`${p}:EncodedMessage`, m.encodedMessage)}${el(`${p}:Incoming`, String(m.incoming))}${el(`${p}:Valid`, String(m.valid !== false))}</${p}:MessageLogs>`;
}

export default define({
  messageType: 'GET_MESSAGES',
  service: 'SmartMeteringManagement',
  functionGroup: 'MANAGEMENT',
  contactsDevice: false,
  payload: z.object({ page }),
  soap: {
    request: 'FindMessageLogsRequest',
    asyncResponse: 'FindMessageLogsAsyncResponse',
    asyncRequest: 'FindMessageLogsAsyncRequest',
    response: 'FindMessageLogsResponse',
    wsdlOperations: ['FindMessageLogs', 'GetFindMessageLogsResponse'],
    family: 'strict',
    read: (r) => {
      const n = Number(text(r, 'Page'));
      if (n < 0) throw validation('Page must be 0 or more');
      return { deviceIdentification: text(r, 'DeviceIdentification'), payload: { page: n } };
    },
    // GXF's MessageLogPage: TotalPages and the rows (a page past the end has none, as GXF answers it).
    render: (stored, p) => {
      const d = record(stored.data, 'data');
      if (!Number.isInteger(d.totalPages) || !Array.isArray(d.messageLogs)) throw new IncompleteResultError('message log page');
      return `<${p}:MessageLogPage>${el(`${p}:TotalPages`, d.totalPages as number)}${d.messageLogs.map((m) => messageLog(m, p)).join('')}</${p}:MessageLogPage>`;
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/message-logs',
    operationId: 'findMessageLogs',
    summary: 'One page (from 0, 30 rows, newest first) of the device\'s DLMS message log written while debugging was enabled (FindMessageLogs)',
    tag: 'management',
    params: gatewayParams,
    body: z.object({ page: page.default(0).describe('Page number, from 0'), ...requestOptions }).strict(),
    toRequest: (params, body) => ({ deviceIdentification: pathDevice(params), payload: { page: (body.page as number | undefined) ?? 0 } }),
  },
  async execute(ports, payload, ctx): Promise<MessageLogPage> {
    return ports.management.findMessageLogs(ctx.deviceIdentification, payload.page);
  },
});

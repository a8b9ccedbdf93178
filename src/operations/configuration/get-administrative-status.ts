/**
 * GetAdministrativeStatus (docs/gxf.md#administrative-status): GET attribute 2 of the administrative in/out object
 * (class 1, 0-1:94.31.0.255), an enum 0 UNDEFINED, 1 OFF, 2 ON, as GXF's GetAdministrativeStatusCommandExecutor reads
 * it. The response carries only `Enabled`. A refused GET or another value is a protocol error.
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { ADMINISTRATIVE_IN_OUT, ADMINISTRATIVE_STATUS, type AdministrativeStatus } from '../../cosem/index.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { el, IncompleteResultError, record, text } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { protocolError } from '../monitoring/meter-reads.ts';
import { attribute, hasConfigurationObjects, requireProtocol } from './configuration-objects.ts';

/** Named as GXF's bundle response names it (AdministrativeStatusResponse/AdministrativeStatusType). */
export interface AdministrativeStatusResult {
  administrativeStatusType: AdministrativeStatus;
}

export default define({
  messageType: 'GET_ADMINISTRATIVE_STATUS',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'GetAdministrativeStatusRequest',
  payload: z.object({}),
  soap: {
    request: 'GetAdministrativeStatusRequest',
    asyncResponse: 'GetAdministrativeStatusAsyncResponse',
    asyncRequest: 'GetAdministrativeStatusAsyncRequest',
    response: 'GetAdministrativeStatusResponse',
    wsdlOperations: ['GetAdministrativeStatus', 'GetGetAdministrativeStatusResponse'],
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: (stored, p) => {
      const enabled = record(stored.data, 'data').administrativeStatusType;
      if (typeof enabled !== 'string' || !(ADMINISTRATIVE_STATUS as readonly string[]).includes(enabled)) throw new IncompleteResultError('Enabled');
      return el(`${p}:Enabled`, enabled);
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/administrative-status/read',
    operationId: 'getAdministrativeStatus',
    summary: 'Read the administrative status of the meter: UNDEFINED, OFF or ON (GetAdministrativeStatus)',
    tag: 'devices',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  async execute(ports, _payload, ctx): Promise<AdministrativeStatusResult> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    requireProtocol('GetAdministrativeStatus', device.protocol, hasConfigurationObjects);
    const [r] = await withLink(ports, device.deviceIdentification, ctx.signal, (link) => link.getAttributes([attribute(ADMINISTRATIVE_IN_OUT, 2)]));
    if (!r) throw protocolError('No GetResult for the administrative status');
    if (r.kind !== 'data') throw protocolError(`Reading the administrative status was not SUCCESS: ${dataAccessResultName(r.result)}`);
    const name = r.data.type === 'enum' ? ADMINISTRATIVE_STATUS[r.data.value] : undefined;
    if (!name) throw protocolError(`Administrative status is not an enum 0..2: ${r.data.type}${'value' in r.data ? ` ${String(r.data.value)}` : ''}`);
    return { administrativeStatusType: name };
  },
});

/**
 * GetSpecificAttributeValue: one GET of any attribute named by class id, OBIS code and attribute id, answered with
 * GXF's text of the value (./attribute-text.ts), as GXF does (OSGP/open-smart-grid-platform, osgp-adapter-protocol-dlms
 * GetSpecificAttributeValueCommandExecutor; docs/monitoring.md#attribute-values). A result other than success is
 * GXF's 412 ERROR_RETRIEVING_ATTRIBUTE_VALUE naming the meter's answer.
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { Obis } from '../../dlms/obis.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { el, IncompleteResultError, record, resultText, sub, text } from '../../api/soap/mapping.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { attributeText } from './attribute-text.ts';

const obisText = z.string().regex(/^\d{1,3}-\d{1,3}:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/, 'A-B:C.D.E.F').describe('OBIS code A-B:C.D.E.F, e.g. 0-0:96.1.1.255');

export interface SpecificAttributeValueResult {
  attributeValueData: string;
}


export default define({
  messageType: 'GET_SPECIFIC_ATTRIBUTE_VALUE',
  service: 'SmartMeteringAdhoc',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'GetSpecificAttributeValueRequest',
  payload: z.object({ classId: z.number().int().min(0).max(0xffff), attribute: z.number().int().min(-128).max(127), obisCode: obisText }),
  soap: {
    request: 'GetSpecificAttributeValueRequest',
    asyncResponse: 'GetSpecificAttributeValueAsyncResponse',
    asyncRequest: 'GetSpecificAttributeValueAsyncRequest',
    response: 'GetSpecificAttributeValueResponse',
    wsdlOperations: ['GetSpecificAttributeValue', 'GetSpecificAttributeValueResponse'],
    family: 'strict',
    read: (r) => {
      const o = sub(r, 'ObisCode');
      const part = (n: string) => Number(text(o, n));
      return {
        deviceIdentification: text(r, 'DeviceIdentification'),
        payload: {
          classId: Number(text(r, 'ClassId')),
          attribute: Number(text(r, 'Attribute')),
          obisCode: `${part('a')}-${part('b')}:${part('c')}.${part('d')}.${part('e')}.${part('f')}`,
        },
      };
    },
    render: (stored, p) => {
      const v = record(stored.data, 'data').attributeValueData;
      if (typeof v !== 'string') throw new IncompleteResultError('attributeValueData');
      return el('common:Result', resultText(stored.result)) + el(`${p}:AttributeValueData`, v);
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/attributes/get',
    operationId: 'getSpecificAttributeValue',
    summary: 'Read one attribute of any COSEM object, as GXF prints it (GetSpecificAttributeValue)',
    tag: 'adhoc',
    params: gatewayParams,
    body: z.object({
      classId: z.number().int().min(0).max(0xffff).describe('COSEM interface class id'),
      attribute: z.number().int().min(-128).max(127).describe('Attribute id'),
      obisCode: obisText,
      ...requestOptions,
    }).strict(),
    toRequest: (params, body) => ({
      deviceIdentification: pathDevice(params),
      payload: { classId: body.classId as number, attribute: body.attribute as number, obisCode: body.obisCode as string },
    }),
  },
  async execute(ports, payload, ctx): Promise<SpecificAttributeValueResult> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    const obis = Obis.parse(payload.obisCode);
    const [r] = await withLink(ports, device.deviceIdentification, ctx.signal, (link) => link.getAttributes([{ classId: payload.classId, obis, attributeId: payload.attribute }]));
    if (!r || r.kind === 'error') {
      const name = r ? dataAccessResultName(r.result) : 'no result';
      throw new MeterfabricError(ErrorCode.ERROR_RETRIEVING_ATTRIBUTE_VALUE, `Error retrieving attribute value: AccessResultCode ${name}`, { component: 'PROTOCOL_DLMS', retryable: false });
    }
    return { attributeValueData: attributeText(r.data) };
  },
});

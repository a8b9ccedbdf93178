/**
 * GetAllAttributeValues: the association's object_list, then every attribute of every listed object the
 * association may read (get-request-with-list in chunks where the meter allows it), returned as one JSON text
 * (GXF's `Output`; OSGP/open-smart-grid-platform, osgp-adapter-protocol-dlms GetAllAttributeValuesCommandExecutor).
 * GXF's own JSON shape is not part of its interface; ours (docs/monitoring.md#attribute-values) is an array of
 * `{classId, version, obisCode, attributes: [{id, value} | {id, error}]}` with values as src/dlms dataToJson writes
 * them. Attributes without read access are listed with `"error": "no-access"` and not read; a buffer is read whole.
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { Obis } from '../../dlms/obis.ts';
import { dataToJson } from '../../dlms/axdr.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { el, IncompleteResultError, record, resultText, text } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import type { AttributeAddress } from '../../adapters/ports.ts';
import { define } from '../define.ts';

export interface AllAttributeValuesResult {
  output: string;
}

interface ObjectValues {
  classId: number;
  version: number;
  obisCode: string;
  attributes: ({ id: number; value: unknown } | { id: number; error: string })[];
}

/** access modes 1 (read-only), 3 (read-and-write), 4 and 6 (authenticated read) allow reading. */
const READABLE = new Set([1, 3, 4, 6]);

export default define({
  messageType: 'GET_ALL_ATTRIBUTE_VALUES',
  service: 'SmartMeteringAdhoc',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'GetAllAttributeValuesRequest',
  payload: z.object({}),
  soap: {
    request: 'GetAllAttributeValuesRequest',
    asyncResponse: 'GetAllAttributeValuesAsyncResponse',
    asyncRequest: 'GetAllAttributeValuesAsyncRequest',
    response: 'GetAllAttributeValuesResponse',
    wsdlOperations: ['GetAllAttributeValues', 'GetAllAttributeValuesResponse'],
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: (stored, p) => {
      const output = record(stored.data, 'data').output;
      if (typeof output !== 'string') throw new IncompleteResultError('output');
      return el(`${p}:Result`, resultText(stored.result)) + el(`${p}:Output`, output);
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/attributes/all',
    operationId: 'getAllAttributeValues',
    summary: 'Read every attribute of every object of the association, as one JSON text (GetAllAttributeValues)',
    tag: 'adhoc',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  async execute(ports, _payload, ctx): Promise<AllAttributeValuesResult> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    const objects = await withLink(ports, device.deviceIdentification, ctx.signal, async (link) => {
      const list = await link.readObjectList();
      const out: ObjectValues[] = [];
      for (const o of list) {
        const obis = Obis.fromBytes(o.logicalName);
        const readable = o.attributeAccess.filter((a) => READABLE.has(a.accessMode));
        const refs: AttributeAddress[] = readable.map((a) => ({ classId: o.classId, obis, attributeId: a.attributeId }));
        const results = refs.length ? await link.getAttributes(refs) : [];
        const values = new Map(readable.map((a, i) => [a.attributeId, results[i]]));
        out.push({
          classId: o.classId,
          version: o.version,
          obisCode: obis.toString(),
          attributes: o.attributeAccess.map((a) => {
            const r = values.get(a.attributeId);
            if (!r) return { id: a.attributeId, error: 'no-access' };
            return r.kind === 'data' ? { id: a.attributeId, value: dataToJson(r.data) } : { id: a.attributeId, error: dataAccessResultName(r.result) };
          }),
        });
      }
      return out;
    });
    return { output: JSON.stringify(objects) };
  },
});

/**
 * GetAssociationLnObjects: the object_list as the meter sends it, mapped one to one to GXF's AssociationLnList
 * (access modes by name, logical name as hexBinary), and rendered into the XSD-valid SOAP response.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import getAssociationLnObjects, { associationLnList } from '../../src/operations/adhoc/get-association-ln-objects.ts';
import type { ObjectListElement } from '../../src/adapters/ports.ts';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';
import { validateEnvelopeXml } from '../../src/api/soap/schema.ts';
import { responseElement } from '../../src/api/soap/operations.ts';
import { NS } from '../../src/api/soap/xml.ts';
import { context, fakePorts } from './fake-ports.ts';

const LIST: ObjectListElement[] = [
  {
    classId: 8, version: 0, logicalName: Buffer.from([0, 0, 1, 0, 0, 255]),
    attributeAccess: [
      { attributeId: 1, accessMode: 1, accessSelectors: [] },
      { attributeId: 2, accessMode: 6, accessSelectors: [] },
      { attributeId: 3, accessMode: 3, accessSelectors: [] },
    ],
    methodAccess: [{ methodId: 1, accessMode: 2 }, { methodId: 6, accessMode: 0 }],
  },
  {
    classId: 7, version: 1, logicalName: Buffer.from([1, 0, 99, 1, 0, 255]),
    attributeAccess: [
      { attributeId: 2, accessMode: 4, accessSelectors: [1, 2] },
      { attributeId: 4, accessMode: 0, accessSelectors: [] },
      { attributeId: 5, accessMode: 2, accessSelectors: [] },
      { attributeId: 6, accessMode: 5, accessSelectors: [] },
    ],
    methodAccess: [{ methodId: 1, accessMode: 1 }],
  },
  { classId: 15, version: 1, logicalName: Buffer.from([0, 0, 40, 0, 0, 255]), attributeAccess: [], methodAccess: [] },
];

const MAPPED = [
  {
    classId: 8, version: 0, logicalName: '0000010000FF',
    accessRights: {
      attributeAccess: [
        { attributeId: 1, accessMode: 'READ_ONLY', accessSelectors: [] },
        { attributeId: 2, accessMode: 'AUTHENTICATED_READ_AND_WRITE', accessSelectors: [] },
        { attributeId: 3, accessMode: 'READ_AND_WRITE', accessSelectors: [] },
      ],
      methodAccess: [{ methodId: 1, accessMode: 'AUTHENTICATED_ACCESS' }, { methodId: 6, accessMode: 'NO_ACCESS' }],
    },
  },
  {
    classId: 7, version: 1, logicalName: '0100630100FF',
    accessRights: {
      attributeAccess: [
        { attributeId: 2, accessMode: 'AUTHENTICATED_READ_ONLY', accessSelectors: [1, 2] },
        { attributeId: 4, accessMode: 'NO_ACCESS', accessSelectors: [] },
        { attributeId: 5, accessMode: 'WRITE_ONLY', accessSelectors: [] },
        { attributeId: 6, accessMode: 'AUTHENTICATED_WRITE_ONLY', accessSelectors: [] },
      ],
      methodAccess: [{ methodId: 1, accessMode: 'ACCESS' }],
    },
  },
  { classId: 15, version: 1, logicalName: '0000280000FF', accessRights: { attributeAccess: [], methodAccess: [] } },
];

test('the object list maps one to one, every access mode by its GXF name', () => {
  assert.deepEqual(associationLnList(LIST), MAPPED);
});

test('an access mode the standard does not define is refused, not guessed', () => {
  assert.throws(
    () => associationLnList([{ ...LIST[2]!, attributeAccess: [{ attributeId: 1, accessMode: 7, accessSelectors: [] }] }]),
    (e) => isMeterfabricError(e) && e.code === ErrorCode.DECODE_ERROR,
  );
  assert.throws(() => associationLnList([{ ...LIST[2]!, methodAccess: [{ methodId: 1, accessMode: 3 }] }]), (e) => isMeterfabricError(e));
});

test('execute: one read of the object list on one association, released', async () => {
  const { ports, rec } = fakePorts({ objectList: LIST });
  const result = await getAssociationLnObjects.execute(ports, {}, context('GET_ASSOCIATION_LN_OBJECTS'));
  assert.deepEqual(result, { associationLnList: MAPPED });
  assert.deepEqual(rec.calls, ['open E0051004000000117', 'readObjectList', 'release']);
  // The stored result is plain JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(result)), result);
});

test('the SOAP response carries every element and value, and validates against the adhoc XSD', () => {
  const body = getAssociationLnObjects.soap.render(
    { correlationUid: 'c', organisationIdentification: 'o', deviceIdentification: 'E0051004000000117', messageType: 'GET_ASSOCIATION_LN_OBJECTS', result: 'OK', data: { associationLnList: MAPPED }, createdAt: new Date() },
    'ns',
  );
  const xml = responseElement(NS.adhoc, 'GetAssociationLnObjectsResponse', body);
  const envelope = `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${NS.soapEnv}"><SOAP-ENV:Body>${xml}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
  assert.deepEqual(validateEnvelopeXml(envelope), []);
  assert.ok(body.startsWith('<ns:Result>OK</ns:Result><ns:AssociationLnList><ns:AssociationLnListElement><ns:ClassId>8</ns:ClassId><ns:Version>0</ns:Version><ns:LogicalName>0000010000FF</ns:LogicalName>'));
  assert.ok(body.includes(
    '<ns:AttributeAccessItem><ns:AttributeId>2</ns:AttributeId><ns:AccessMode>AUTHENTICATED_READ_ONLY</ns:AccessMode>' +
    '<ns:AccessSelectors><ns:AccessSelector>1</ns:AccessSelector><ns:AccessSelector>2</ns:AccessSelector></ns:AccessSelectors></ns:AttributeAccessItem>',
  ));
  assert.ok(body.includes('<ns:MethodAccessItem><ns:MethodId>1</ns:MethodId><ns:AccessMode>AUTHENTICATED_ACCESS</ns:AccessMode></ns:MethodAccessItem>'));
  assert.ok(body.endsWith('<ns:AssociationLnListElement><ns:ClassId>15</ns:ClassId><ns:Version>1</ns:Version><ns:LogicalName>0000280000FF</ns:LogicalName><ns:AccessRights><ns:AttributeAccess></ns:AttributeAccess><ns:MethodAccess></ns:MethodAccess></ns:AccessRights></ns:AssociationLnListElement></ns:AssociationLnList>'));
  assert.equal((body.match(/<ns:AttributeAccessItem>/g) ?? []).length, 7);
});

// Class 15 attribute 2 (object_list) as literal bytes: version 0 (method access boolean) and version 1+ (enum),
// access_selectors as null-data and as an array (docs/dlms.md#object-list).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeObjectList, encodeObjectList, objectListElement, ClockClass, WellKnownObis, cosemObject } from '../../src/cosem/index.ts';
import { GetResponseNormal } from '../../src/dlms/apdu/index.ts';
import { encodeData } from '../../src/dlms/axdr.ts';
import { isMeterfabricError } from '../../src/errors.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** The object_list inside a get-response-normal whose data is `data` (hex). */
function listIn(data: string) {
  const r = GetResponseNormal.decode(h(`C4 01 C1 00 ${data}`)).result;
  assert.equal(r.kind, 'data');
  return decodeObjectList(r.kind === 'data' ? r.data : { type: 'null-data' });
}

// Clock 0-0:1.0.0.255 as a class 15 version 0 association lists it: attribute 1 read-only without selectors
// (null-data), attribute 2 read-write with selectors 1 and 2, method 6 with access TRUE (boolean).
const CLOCK_V0 = '02 04 12 0008 11 00 09 06 0000010000FF 02 02 01 02 02 03 0F 01 16 01 00 02 03 0F 02 16 03 01 02 0F 01 0F 02 01 01 02 02 0F 06 03 01';
// Association LN 0-0:40.0.0.255 as a version 1 association lists it: method 1 with access_mode enum 2.
const ASSOCIATION_V1 = '02 04 12 000F 11 01 09 06 0000280000FF 02 02 01 01 02 03 0F 02 16 01 00 01 01 02 02 0F 01 16 02';

test('a get-response-normal carrying an object_list decodes both class 15 versions', () => {
  assert.deepEqual(listIn(`01 02 ${CLOCK_V0} ${ASSOCIATION_V1}`), [
    {
      classId: 8,
      version: 0,
      logicalName: h('0000010000FF'),
      attributeAccess: [
        { attributeId: 1, accessMode: 1, accessSelectors: [] },
        { attributeId: 2, accessMode: 3, accessSelectors: [1, 2] },
      ],
      methodAccess: [{ methodId: 6, accessMode: 1 }],
    },
    {
      classId: 15,
      version: 1,
      logicalName: h('0000280000FF'),
      attributeAccess: [{ attributeId: 2, accessMode: 1, accessSelectors: [] }],
      methodAccess: [{ methodId: 1, accessMode: 2 }],
    },
  ]);
});

test('encodeObjectList writes method access as boolean for version 0 and enum for version 1+', () => {
  const clock = listIn(`01 01 ${CLOCK_V0}`);
  // TRUE is any non-zero byte on the wire; this codec writes FF.
  assert.deepEqual(encodeData(encodeObjectList(clock, 0)), h(`01 01 ${CLOCK_V0.replace(/03 01$/, '03 FF')}`));
  assert.deepEqual(encodeData(encodeObjectList(clock, 1)), h(`01 01 ${CLOCK_V0.replace(/03 01$/, '16 01')}`));
});

test('objectListElement derives class, version, logical name and access from the declaration', () => {
  const e = objectListElement(cosemObject(ClockClass, WellKnownObis.CLOCK));
  assert.equal(e.classId, 8);
  assert.equal(e.version, 0);
  assert.deepEqual(e.logicalName, h('0000010000FF'));
  assert.deepEqual(e.attributeAccess.map((a) => [a.attributeId, a.accessMode]), [[1, 1], [2, 3], [3, 3], [4, 1], [5, 3], [6, 3], [7, 3], [8, 3], [9, 1]]);
  assert.deepEqual(e.methodAccess.map((m) => m.methodId), [1, 2, 3, 4, 5, 6]);
});

test('an object_list element of the wrong shape is a DECODE_ERROR', () => {
  const bad = (hex: string) => () => listIn(`01 01 ${hex}`);
  // logical_name of 5 bytes
  assert.throws(bad('02 04 12 0008 11 00 09 05 00000100FF 02 02 01 00 01 00'), (e: unknown) => isMeterfabricError(e) && e.code === 1000);
  // access_selectors neither null-data nor array
  assert.throws(bad('02 04 12 0008 11 00 09 06 0000010000FF 02 02 01 01 02 03 0F 01 16 01 11 00 01 00'), (e: unknown) => isMeterfabricError(e) && e.code === 1000);
  // method access_mode an unsigned
  assert.throws(bad('02 04 12 0008 11 00 09 06 0000010000FF 02 02 01 00 01 01 02 02 0F 01 11 01'), (e: unknown) => isMeterfabricError(e) && e.code === 1000);
});

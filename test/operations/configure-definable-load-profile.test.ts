/** ConfigureDefinableLoadProfile's capture_objects value, byte for byte (A-XDR, IEC 62056-6-2 capture_object_definition). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeData } from '../../src/dlms/axdr.ts';
import { definableLoadProfileCaptureObjects } from '../../src/operations/configuration/configure-definable-load-profile.ts';

const CLOCK = '020412000809060000010000ff0f02120000';

test('capture_objects: the clock time first, then the requested objects in order', () => {
  const v = definableLoadProfileCaptureObjects([
    { classId: 1, obisCode: '0-0:96.7.21.255', attributeIndex: 2 },
    { classId: 3, obisCode: '1-0:32.32.0.255', attributeIndex: 2, dataIndex: 0 },
  ]);
  assert.equal(encodeData(v).toString('hex'),
    '0103' + CLOCK
    + '020412000109060000600715ff0f02120000'
    + '0204120003090601002020' + '00ff0f02120000');
});

test('capture_objects: a requested clock time is dropped (it stays first, once); an empty request is the clock alone', () => {
  const v = definableLoadProfileCaptureObjects([
    { classId: 1, obisCode: '0-0:96.7.9.255', attributeIndex: 2, dataIndex: 1 },
    { classId: 8, obisCode: '0-0:1.0.0.255', attributeIndex: 2, dataIndex: 0 },
  ]);
  assert.equal(encodeData(v).toString('hex'), '0102' + CLOCK + '020412000109060000600709ff0f02120001');
  assert.equal(encodeData(definableLoadProfileCaptureObjects([])).toString('hex'), '0101' + CLOCK);
});

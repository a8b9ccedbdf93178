/** Class 18 image transfer: the method parameters and ACTION-requests as bytes (IEC 62056-6-2 class 18; A-XDR per IEC 62056-6-2 / Green Book). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDataExact, encodeData } from '../../src/dlms/axdr.ts';
import { ActionRequestNormal } from '../../src/dlms/apdu/services.ts';
import { methodAddress, attributeAddress } from '../../src/cosem/model.ts';
import {
  IMAGE_TRANSFER, ImageTransferClass, activateParameter, blockCount, blockParameter, firmwareVersionObjects, firmwareVersionText, imageBlock,
  initiateParameter, mbusSimpleVersionInfo, readBlockParameter, readInitiateParameter, verifyParameter,
} from '../../src/cosem/index.ts';

const hex = (b: Buffer) => b.toString('hex').toUpperCase();

test('image_transfer_initiate parameter: structure{octet-string identifier, double-long-unsigned size}', () => {
  assert.equal(hex(encodeData(initiateParameter(Buffer.from('FEDCBA0987654321', 'hex'), 3000))), '0202' + '0908FEDCBA0987654321' + '0600000BB8');
  assert.deepEqual(readInitiateParameter(decodeDataExact(Buffer.from('02020908FEDCBA09876543210600000BB8', 'hex'))), { imageIdentifier: Buffer.from('FEDCBA0987654321', 'hex'), imageSize: 3000 });
});

test('image_block_transfer parameter: structure{double-long-unsigned number, octet-string block}', () => {
  assert.equal(hex(encodeData(blockParameter(5, Buffer.from([1, 2, 3])))), '0202' + '0600000005' + '0903010203');
  // A 216-byte block: the octet-string length takes the one-byte long form 81 D8.
  assert.equal(hex(encodeData(blockParameter(0, Buffer.alloc(216, 0xab)))).slice(0, 24), '0202' + '0600000000' + '0981D8' + 'ABAB');
  assert.deepEqual(readBlockParameter(decodeDataExact(Buffer.from('020206000000050903010203', 'hex'))), { blockNumber: 5, block: Buffer.from([1, 2, 3]) });
  assert.throws(() => readBlockParameter(decodeDataExact(Buffer.from('0202120005' + '0903010203', 'hex'))), { code: 1000 });
  assert.throws(() => readInitiateParameter(decodeDataExact(Buffer.from('0201090100', 'hex'))), { code: 1000 });
});

test('image_verify and image_activate take integer 0', () => {
  assert.equal(hex(encodeData(verifyParameter())), '0F00');
  assert.equal(hex(encodeData(activateParameter())), '0F00');
});

test('the ACTION-requests of class 18 on 0-0:44.0.0.255, methods 1..4', () => {
  const request = (name: string, parameters: ReturnType<typeof verifyParameter>) => hex(new ActionRequestNormal({ invokeIdAndPriority: 0xc1, method: methodAddress(IMAGE_TRANSFER, name), parameters }).encode());
  // C3 01 invoke-id-and-priority, class 0012, instance 00002C0000FF, method, 01 = parameters present.
  assert.equal(request('image_transfer_initiate', initiateParameter(Buffer.from('0102', 'hex'), 216)), 'C301C1' + '0012' + '00002C0000FF' + '01' + '01' + '0202' + '09020102' + '06000000D8');
  assert.equal(request('image_block_transfer', blockParameter(1, Buffer.from('AA', 'hex'))), 'C301C1' + '0012' + '00002C0000FF' + '02' + '01' + '020206000000010901AA');
  assert.equal(request('image_verify', verifyParameter()), 'C301C1001200002C0000FF03010F00');
  assert.equal(request('image_activate', activateParameter()), 'C301C1001200002C0000FF04010F00');
  assert.deepEqual(attributeAddress(IMAGE_TRANSFER, 'image_first_not_transferred_block_number'), { classId: 18, instance: IMAGE_TRANSFER.obis, attributeId: 4 });
  assert.equal(ImageTransferClass.attribute.image_transfer_status.id, 6);
});

test('blocks: ceil(size / block size), the last one short and not padded', () => {
  const image = Buffer.from(Array.from({ length: 500 }, (_, i) => i & 0xff));
  assert.equal(blockCount(500, 216), 3);
  assert.equal(imageBlock(image, 216, 0).length, 216);
  assert.equal(imageBlock(image, 216, 2).length, 68);
  assert.deepEqual(Buffer.concat([0, 1, 2].map((n) => imageBlock(image, 216, n))), image);
});

test('firmware version objects per protocol, and their text', () => {
  assert.deepEqual(firmwareVersionObjects('DSMR 4.2.2').map((o) => [o.type, o.object.obis.toString()]), [
    ['ACTIVE_FIRMWARE', '1-0:0.2.0.255'], ['MODULE_ACTIVE_FIRMWARE', '1-1:0.2.0.255'], ['COMMUNICATION_MODULE_ACTIVE_FIRMWARE', '1-2:0.2.0.255'],
  ]);
  assert.deepEqual(firmwareVersionObjects('SMR 5.1').map((o) => o.type).at(-1), 'M_BUS_DRIVER_ACTIVE_FIRMWARE');
  assert.equal(firmwareVersionObjects('SMR 4.3').length, 3);
  assert.equal(firmwareVersionText(Buffer.from('4D35372034383336000A', 'hex')), 'M57 4836');
  assert.equal(mbusSimpleVersionInfo(3).obis.toString(), '0-3:24.2.11.255');
  assert.equal(mbusSimpleVersionInfo(3).cls.classId, 4);
});

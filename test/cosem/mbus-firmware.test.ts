/** SMR 5 M-Bus firmware files: header, personalisation, IV, GMAC and image identifier as bytes (src/cosem/mbus-firmware.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { aesGcmEncrypt } from '../../src/dlms/security/gcm.ts';
import { checkMbusFirmware, identificationFits, isMbusFirmware, mbusFirmwareImagePart, personaliseMbusFirmware, readMbusFirmwareHeader } from '../../src/cosem/mbus-firmware.ts';

// GXF's integration-test M-Bus firmware file (100 bytes: 35-byte header with identification ffffffff, 49-byte image,
// 16-byte trailer), from OSGP/open-smart-grid-platform cucumber-tests-platform-smartmetering Firmware.feature.
const GXF_FILE = Buffer.from(
  '534d523500230011004000310000001000020801e91effffffff500303000000000000831c9d5aa5b4ffbfd057035a8a7896a4abe7afa36687fbc48944bcee0343eed3a75aab882ec1cf57820adfd4394e262d5fa821c678e71c05c47e1c69c4bfffe1fd',
  'hex',
);

test('GMAC is AES-GCM without plaintext: NIST CAVS gcmEncryptExtIV128 (PTlen 0, AADlen 128), count 0', () => {
  const { ciphertext, tag } = aesGcmEncrypt(Buffer.from('77be63708971c4e240d1cb79e8d77feb', 'hex'), Buffer.from('e0e00f19fed7ba0136a797f3', 'hex'), Buffer.alloc(0), Buffer.from('7a43ec1d9c0a5a78a0b16533a6213cab', 'hex'), 16);
  assert.equal(ciphertext.length, 0);
  assert.equal(tag.toString('hex'), '209fcc8d3675ed938e9c7166709dd946');
});

test('the header of GXF\'s test file: M-Bus firmware, image version 0x00400011, 49-byte image, GMAC, gas, wildcard identification', () => {
  assert.equal(isMbusFirmware(GXF_FILE), true);
  const h = checkMbusFirmware(GXF_FILE);
  assert.deepEqual(
    [h.headerLength, h.imageVersion, h.imageLength, h.securityLength, h.securityType, h.addressLength, h.addressType, h.manufacturerId, h.identificationPattern, h.mbusVersion, h.deviceType, h.activationType],
    [35, 0x00400011, 49, 16, 2, 8, 1, 0x1ee9, 'FFFFFFFF', 0x50, 3, 3],
  );
  assert.equal(mbusFirmwareImagePart(GXF_FILE).length, 49);
  // The same bytes with another magic are an E-meter image.
  const e = Buffer.from(GXF_FILE);
  e.writeUInt32BE(0, 0);
  assert.equal(isMbusFirmware(e), false);
  assert.throws(() => checkMbusFirmware(GXF_FILE.subarray(0, 99)), { code: 1000 });
});

test('personalised for device 10000540: GXF\'s patched header, IV and image identifier (MacGenerationServiceTest vector)', () => {
  // GXF's 1000-byte file: this header with identification ffffffff, a 949-byte image, a 16-byte trailer.
  const header = Buffer.from('534d523500230011004000b50300001000020801e91effffffff500303000000000000', 'hex');
  const image = Buffer.alloc(949, 0x5a);
  const file = Buffer.concat([header, image, Buffer.alloc(16)]);
  const key = Buffer.from('F9AA0123456789012345D7AFCCD41BD1', 'hex');
  const p = personaliseMbusFirmware(file, '10000540', key);
  assert.equal(p.image.subarray(0, 35).toString('hex'), '534d523500230011004000b50300001000020801e91e40050010500303000000000000');
  assert.equal(p.iv.toString('hex'), 'e91e40050010500300400011');
  assert.equal(p.imageIdentifier.toString('hex'), '4757494d42555340050010e91e500300000000');
  assert.equal(p.imageIdentifier.subarray(0, 3).toString('ascii'), 'GWI');
  // The trailer authenticates header and image under the key: GCM with the same IV and AAD, no ciphertext, verifies.
  const d = createDecipheriv('aes-128-gcm', key, p.iv);
  d.setAAD(p.image.subarray(0, p.image.length - 16));
  d.setAuthTag(p.image.subarray(p.image.length - 16));
  d.update(Buffer.alloc(0));
  assert.doesNotThrow(() => d.final());
  assert.deepEqual(p.image.subarray(35, 35 + 949), image);
  assert.notDeepEqual(personaliseMbusFirmware(file, '10000540', Buffer.alloc(16, 1)).mac, p.mac);
});

test('identification patterns: F matches any digit; a device outside the range is refused', () => {
  assert.equal(identificationFits('FFFFFFFF', '12056731'), true);
  assert.equal(identificationFits('1205FFFF', '12056731'), true);
  assert.equal(identificationFits('1206FFFF', '12056731'), false);
  const withRange = Buffer.from(GXF_FILE);
  withRange.writeUInt32LE(0x1206ffff, 22);
  assert.equal(readMbusFirmwareHeader(withRange).identificationPattern, '1206FFFF');
  assert.throws(() => personaliseMbusFirmware(withRange, '12056731', Buffer.alloc(16)), /does not fit the range/);
});

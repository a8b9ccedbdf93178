// The message log's APDU descriptions (src/dlms/apdu/summary.ts): literal APDUs, types and descriptors, never data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summariseApdu } from '../../src/dlms/apdu/summary.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

test('a plain get-request-normal names class, logical name and attribute', () => {
  // get-request-normal, invoke id C1, class 72, 0-1:24.1.0.255, attribute 6, no selective access
  assert.deepEqual(summariseApdu(hex('C0 01 C1 0048 0001180100FF 06 00')), {
    type: 'get-request-normal', summary: 'get-request-normal class 72 0-1:24.1.0.255 attribute 6',
  });
});

test('an action-request-normal names the method but never its parameter', () => {
  // set_encryption_key (method 7) with a 16-byte octet string parameter
  const s = summariseApdu(hex('C3 01 C1 0048 0001180100FF 07 01 09 10 000102030405060708090A0B0C0D0E0F'));
  assert.equal(s.summary, 'action-request-normal class 72 0-1:24.1.0.255 method 7');
  assert.equal(s.summary.includes('000102'), false);
});

test('responses: data or the data-access-result, never the data', () => {
  assert.equal(summariseApdu(hex('C4 01 C1 00 09 04 12345678')).summary, 'get-response-normal data');
  assert.equal(summariseApdu(hex('C4 01 C1 01 03')).summary, 'get-response-normal data-access-result 3');
  assert.equal(summariseApdu(hex('C7 01 C1 00 00')).summary, 'action-response-normal result 0');
});

test('a glo-ciphered APDU is described by its security header only', () => {
  // glo-action-request, length 0x15, SC 0x30, IC 0x0000002A, 16 bytes of ciphertext and tag
  const s = summariseApdu(hex('CB 15 30 0000002A 00112233445566778899AABBCCDDEEFF'));
  assert.deepEqual(s, { type: 'glo-action-request', summary: 'glo-action-request, SC 0x30, IC 42, 16 byte(s) ciphered' });
  const g = summariseApdu(hex('DB 08 4B464D1020000001 15 30 00000007 00112233445566778899AABBCCDDEEFF'));
  assert.equal(g.summary, 'general-glo-ciphering, system title 4B464D1020000001, SC 0x30, IC 7, 16 byte(s) ciphered');
});

test('ACSE APDUs, truncated and unknown bytes are described without throwing', () => {
  assert.equal(summariseApdu(hex('60 36 A1 09')).type, 'AARQ');
  assert.equal(summariseApdu(hex('63 03 80 01 00')).type, 'RLRE');
  assert.equal(summariseApdu(hex('C0 01 C1 00')).summary, 'get-request-normal (descriptor truncated)');
  assert.equal(summariseApdu(hex('CB')).summary, 'glo-action-request, length truncated');
  assert.equal(summariseApdu(hex('77 00')).summary, 'unknown APDU tag 0x77');
  assert.equal(summariseApdu(Buffer.alloc(0)).type, 'empty');
});

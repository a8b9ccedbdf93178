import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Data, decodeDataExact, encodeData } from '../../src/dlms/axdr.ts';
import {
  Aare,
  ConfirmedServiceError,
  DataBlockAssembler,
  ExceptionResponse,
  GetResponseWithDataBlock,
  actionResultError,
  associationRejectedError,
  confirmedServiceErrorError,
  dataAccessResultError,
  decodeGetDataResultList,
  exceptionResponseError,
  splitIntoDataBlocks,
} from '../../src/dlms/apdu/index.ts';
import { isMeterfabricError } from '../../src/errors.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('a value split into data blocks by the server is reassembled by the client with get-request-next acks', () => {
  const value = Data.octetString(Buffer.alloc(300, 0x5a));
  const raw = encodeData(value);
  const blocks = splitIntoDataBlocks({ invokeIdAndPriority: 0xc1, raw, maxBlockSize: 128 });
  assert.deepEqual(blocks.map((b) => [b.blockNumber, b.lastBlock]), [[1, false], [2, false], [3, true]]);
  // first block on the wire (docs/dlms.md#xdlms-services): C4 02 inv last block-number 00 length raw
  assert.deepEqual(blocks[0]!.encode().subarray(0, 11), h('C4 02 C1 00 00000001 00 81 80'));
  const asm = new DataBlockAssembler(0xc1);
  const s1 = asm.push(GetResponseWithDataBlock.decode(blocks[0]!.encode()));
  assert.equal(s1.done, false);
  assert.deepEqual(s1.done === false && s1.next.encode(), h('C0 02 C1 00 00 00 01'));
  const s2 = asm.push(blocks[1]!);
  assert.deepEqual(s2.done === false && s2.next.encode(), h('C0 02 C1 00 00 00 02'));
  const s3 = asm.push(blocks[2]!);
  assert.ok(s3.done && 'raw' in s3);
  assert.deepEqual(decodeDataExact(s3.raw), value);
});

test('block transfer refuses out-of-order blocks, foreign invoke ids and oversize totals; passes a Data-Access-Result', () => {
  const blocks = splitIntoDataBlocks({ invokeIdAndPriority: 0xc1, raw: Buffer.alloc(10), maxBlockSize: 4 });
  assert.throws(() => new DataBlockAssembler(0xc1).push(blocks[1]!), (e: unknown) => isMeterfabricError(e) && e.code === 232 && /expected data block 1, got 2/.test(e.message));
  assert.throws(() => new DataBlockAssembler(0xc2).push(blocks[0]!), (e: unknown) => isMeterfabricError(e) && e.code === 232);
  const small = new DataBlockAssembler(0xc1, 6);
  small.push(blocks[0]!);
  assert.throws(() => small.push(blocks[1]!), (e: unknown) => isMeterfabricError(e) && e.code === 1000);
  const err = new DataBlockAssembler(0xc1).push(new GetResponseWithDataBlock({ lastBlock: true, blockNumber: 1, result: { kind: 'error', result: 14 } }));
  assert.deepEqual(err, { done: true, error: 14 });
  assert.equal(splitIntoDataBlocks({ invokeIdAndPriority: 0xc1, raw: Buffer.alloc(0), maxBlockSize: 4 }).length, 1);
});

test('raw data of a block-transferred get-with-list is a count and Get-Data-Results', () => {
  assert.deepEqual(decodeGetDataResultList(h('02 00 11 09 01 FA')), [{ kind: 'data', data: Data.unsigned(9) }, { kind: 'error', result: 250 }]);
  assert.throws(() => decodeGetDataResultList(h('05 00 11')), (e: unknown) => isMeterfabricError(e) && e.code === 1000);
});

test('non-success answers become MeterfabricErrors with codes 1100..1104 and readable messages', () => {
  const e1 = dataAccessResultError(12, 'GET 72/0-1:24.1.0.255/14');
  assert.equal(e1.code, 1100);
  assert.equal(e1.message, 'GET 72/0-1:24.1.0.255/14: TYPE_UNMATCHED (12)');
  assert.equal(actionResultError(250, 'transfer_key').message, 'transfer_key: OTHER_REASON (250)');
  assert.equal(actionResultError(250, 'x').code, 1101);
  assert.equal(exceptionResponseError(new ExceptionResponse({ stateError: 1, serviceError: 5 }), 'GET').code, 1102);
  assert.match(exceptionResponseError(new ExceptionResponse({ stateError: 1, serviceError: 5 }), 'GET').message, /DECIPHERING_ERROR/);
  assert.equal(confirmedServiceErrorError(new ConfirmedServiceError({ service: 1, errorClass: 6, value: 1 }), 'AARQ').code, 1103);
  const rejected = associationRejectedError(Aare.decode(h('61 17 A1 09 06 07 60 85 74 05 08 01 03 A2 03 02 01 01 A3 05 A1 03 02 01 01')));
  assert.equal(rejected.code, 1104);
  assert.equal(rejected.message, 'association rejected: REJECTED_PERMANENT (acse-service-user NO_REASON_GIVEN)');
});

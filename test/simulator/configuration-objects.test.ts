// The simulator's configuration objects: defaults by profile, what a SET keeps, what it refuses, and the state file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMeterState, meterStateFromJson, meterStateToJson } from '../../src/simulator/meter.ts';
import { getAttribute, setAttribute, type ObjectContext } from '../../src/simulator/objects.ts';
import { attributeDescriptor } from '../../src/dlms/apdu/common.ts';
import { Data, encodeData, type DlmsData } from '../../src/dlms/axdr.ts';

const ctx = (profile: 'smr5' | 'dsmr4'): ObjectContext => ({ meter: createMeterState({ profile }), clientSap: 1, now: () => new Date('2026-01-01T00:00:00Z') });
const read = (c: ObjectContext, classId: number, ln: string, attr: number): string => {
  const r = getAttribute(c, attributeDescriptor(classId, ln, attr));
  return r.kind === 'data' ? encodeData(r.data).toString('hex').toUpperCase() : `error ${r.result}`;
};
const write = (c: ObjectContext, classId: number, ln: string, attr: number, v: DlmsData) => setAttribute(c, attributeDescriptor(classId, ln, attr), v);

test('defaults: push destination and message type by profile, the UDP push setup on SMR 5 only, configuration object layout', () => {
  const smr5 = ctx('smr5');
  const dsmr4 = ctx('dsmr4');
  const dest = Buffer.from('localhost:4059', 'ascii').toString('hex').toUpperCase();
  assert.equal(read(smr5, 40, '0-1:25.9.0.255', 3), `02031600090E${dest}1600`);
  assert.equal(read(dsmr4, 40, '0-1:25.9.0.255', 3), `02031600090E${dest}1680`);
  assert.equal(read(smr5, 40, '0-3:25.9.0.255', 3), `02031601090E${dest}1600`);
  assert.equal(read(dsmr4, 40, '0-3:25.9.0.255', 3), 'error 4', 'no UDP push setup on DSMR 4');
  assert.equal(read(smr5, 1, '0-1:94.31.3.255', 2), '04101220');
  assert.equal(read(dsmr4, 1, '0-1:94.31.3.255', 2), '0202160104105200');
  assert.equal(read(smr5, 1, '0-1:94.31.0.255', 2), '1602');
  assert.equal(read(dsmr4, 1, '0-0:97.98.11.255', 2), 'error 4', 'one alarm filter on DSMR 4');
  assert.equal(read(smr5, 8, '0-0:1.0.0.255', 3), '100000');
});

test('a SET is kept and survives the state file; a malformed value is type-unmatched and changes nothing', () => {
  const c = ctx('smr5');
  assert.equal(write(c, 40, '0-1:25.9.0.255', 2, Data.array([Data.structure([Data.longUnsigned(1), Data.octetString('0000600100FF'), Data.integer(2), Data.longUnsigned(0)])])), 0);
  assert.equal(write(c, 40, '0-1:25.9.0.255', 2, Data.array([Data.structure([Data.unsigned(1)])])), 12, 'type-unmatched');
  assert.equal(write(c, 1, '0-1:94.31.0.255', 2, Data.enum(3)), 250, 'other-reason: no such status');
  assert.equal(write(c, 1, '0-1:94.31.3.255', 2, Data.structure([Data.enum(1), Data.bitString(Buffer.from('0000', 'hex'), 16)])), 12, 'SMR 5 keeps its bit-string layout');
  assert.equal(write(c, 8, '0-0:1.0.0.255', 3, Data.long(-60)), 0);
  const restored: ObjectContext = { ...c, meter: meterStateFromJson(JSON.parse(JSON.stringify(meterStateToJson(c.meter)))) };
  assert.equal(read(restored, 40, '0-1:25.9.0.255', 2), '01010204120001090600006001' + '00FF0F02120000');
  assert.equal(read(restored, 8, '0-0:1.0.0.255', 3), '10FFC4');
  assert.equal(read(restored, 1, '0-1:94.31.0.255', 2), '1602');
});

/**
 * The GatewayLink the executors get (bindings.ts linkFactory) over real TCP to a simulated gateway: DLMS-native
 * channel values, clock SET and the association's object_list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHeadend } from '../support/headend.ts';
import { linkFactory } from '../../src/adapters/bindings.ts';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';
import { dateToCosemDateTime } from '../../src/dlms/axdr.ts';
import { DataAccessResult } from '../../src/dlms/apdu/index.ts';
import { channelElementValues } from '../../src/cosem/mbus.ts';

const ORG = 'test-org';

for (const [protocol, classVersion, identification] of [['SMR 5.0.0', 1, 12056731], ['DSMR 4.2.2', 0, 0x12056731]] as const) {
  test(`${protocol}: the link reads channels as the meter sends them, sets the clock and reads the object_list`, async () => {
    const h = await startHeadend('pglite');
    try {
      await h.addOrganisation(ORG);
      const now = new Date('2026-05-05T05:05:05Z');
      const GW = `E00510040000000${classVersion}1`;
      const sim = await h.addGateway(GW, ORG, { protocol, sim: { now: () => now } });
      const link = await linkFactory(h.db, h.secrets, undefined).open(GW);
      try {
        const reading = await link.readChannel(1);
        assert.deepEqual(reading, { channel: 1, classVersion, primaryAddress: 9, identificationNumber: identification, manufacturerId: 0x198f, version: 80, deviceType: 3 });
        assert.deepEqual(channelElementValues(reading), {
          channel: 1, primaryAddress: 9, identificationNumber: '12056731', manufacturerIdentification: 'FLO', version: 80, deviceTypeIdentification: 3,
        });

        await link.setClock(dateToCosemDateTime(new Date('2026-05-05T06:00:00Z')));
        assert.equal(sim.state.clockOffsetMs, 54 * 60_000 + 55_000);
        const refused = await link.setClock(Buffer.alloc(12, 0xff)).then(() => undefined, (e: unknown) => e);
        assert.ok(isMeterfabricError(refused) && refused.code === ErrorCode.DATA_ACCESS_RESULT && refused.details?.result === DataAccessResult.OTHER_REASON, String(refused));

        const list = await link.readObjectList();
        const find = (hex: string) => list.find((e) => e.logicalName.equals(Buffer.from(hex, 'hex')));
        assert.deepEqual([find('0000010000FF')?.classId, find('0000010000FF')?.version], [8, 0]);
        assert.deepEqual([find('0000280000FF')?.classId, find('0000280000FF')?.version], [15, 1]);
        assert.deepEqual([find('0002180100FF')?.classId, find('0002180100FF')?.version], [72, classVersion]);
      } finally {
        await link.release();
      }
    } finally {
      await h.stop();
    }
  });
}

// Client <-> simulator over real loopback TCP (issue 2, "Must show"): the complete M-Bus key exchange over
// WRAPPER and HDLC for SMR5 and DSMR4, invocation counter recovery, and every injected fault ending in its typed
// error within its timeout with no socket or timer left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';
import { buildDsmr4TransferKey, buildSmr5TransferKey, wrapGlobalKeyTransfer, GlobalKeyId } from '../../src/dlms/security/index.ts';
import { DlmsSession, readInvocationCounter } from '../../src/session/client.ts';
import { MemoryInvocationCounterStore } from '../../src/session/invocation-counter.ts';
import { MbusGateway } from '../../src/session/mbus.ts';
import type { FramingKind } from '../../src/transport/transport.ts';
import { rejection, withoutLeaks } from '../transport/support.ts';
import { DEFAULT_KEY, NEW_USER_KEY, hex, managementOptions, withMeter } from './helpers.ts';
import { testGMeter } from '../../src/simulator/meter.ts';
import { metrics } from '../../src/observability/metrics.ts';
import { Data, encodeData } from '../../src/dlms/axdr.ts';

const openConnections = async () => (await metrics.openMeterConnections.get()).values[0]?.value ?? 0;

const hasCode = (e: unknown, code: number) => isMeterfabricError(e) && e.code === code;

function blobFor(profile: 'smr5' | 'dsmr4', key: Buffer, defaultKey = DEFAULT_KEY): Buffer {
  return profile === 'dsmr4'
    ? buildDsmr4TransferKey(defaultKey, key)
    : buildSmr5TransferKey({ defaultKey, newKey: key, keyId: 0, kcc: 848800000, identificationNumber: '12056731', manufacturerId: 0x198f });
}

for (const framing of ['wrapper', 'hdlc'] as FramingKind[]) {
  for (const profile of ['smr5', 'dsmr4'] as const) {
    test(`${framing} ${profile}: complete M-Bus key exchange leaves the new key in the G-meter, status 4`, async () => {
      await withoutLeaks(() =>
        withMeter(framing, profile, async (meter) => {
          const store = new MemoryInvocationCounterStore();
          const session = await DlmsSession.openManagement(managementOptions(meter, { invocationCounters: store }));
          const gw = new MbusGateway(session, profile === 'smr5' ? 1 : 0);
          const values = await gw.readChannel(1);
          assert.deepEqual(values, { channel: 1, primaryAddress: 9, identificationNumber: '12056731', manufacturerIdentification: 'FLO', version: 80, deviceTypeIdentification: 3 });
          await gw.transferKey(1, blobFor(profile, NEW_USER_KEY));
          assert.equal(await gw.readEncryptionKeyStatus(1), 2);
          await gw.setEncryptionKey(1, NEW_USER_KEY);
          assert.equal(await gw.readEncryptionKeyStatus(1), 4);
          await gw.release();
          assert.deepEqual(meter.gMeterKey(1), NEW_USER_KEY);
          // IC read through the public client (1), then AARQ 1, f(StoC) 2, HLS 3, with-list 4, transfer 5,
          // status 6, set 7, status 8: one get-with-list for attributes 5..9, no counter used twice.
          assert.equal(meter.state.lastClientIc, 8);
          assert.ok((await store.get('E0000001'))! > 8);
          assert.equal(session.open, false);
        }),
      );
    });
  }
}

test('HDLC with a 4-byte server address (physical address 0x11) associates and reads', async () => {
  await withoutLeaks(() =>
    withMeter('hdlc', 'smr5', async (meter) => {
      const s = await DlmsSession.openManagement(managementOptions(meter, { physicalAddress: 0x11, hdlcAddressSize: 4 }));
      assert.equal((await new MbusGateway(s, 1).readChannel(1)).identificationNumber, '12056731');
      await s.release();
    }),
  );
});

test('HDLC with 32-byte information fields segments AARQ, AARE and every ciphered APDU in both directions', async () => {
  await withoutLeaks(() =>
    withMeter('hdlc', 'smr5', async (meter) => {
      const s = await DlmsSession.openManagement(managementOptions(meter, { hdlcParameters: { maxInfoTx: 32, maxInfoRx: 32 } }));
      const gw = new MbusGateway(s, 1);
      assert.equal((await gw.readChannel(1)).manufacturerIdentification, 'FLO');
      await gw.transferKey(1, blobFor('smr5', NEW_USER_KEY));
      await gw.setEncryptionKey(1, NEW_USER_KEY);
      assert.equal(await gw.readEncryptionKeyStatus(1), 4);
      await gw.release();
      assert.deepEqual(meter.gMeterKey(1), NEW_USER_KEY);
    }),
  );
});

test('WithListMax 1 reads attributes 5..9 with one GET each', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'smr5', async (meter) => {
      const store = new MemoryInvocationCounterStore({ E0000001: 1 });
      const s = await DlmsSession.openManagement(managementOptions(meter, { invocationCounters: store, withListMax: 1 }));
      assert.equal(s.withListAllowed, false);
      await new MbusGateway(s, 1).readChannel(1);
      await s.release();
      assert.equal(meter.state.lastClientIc, 3 + 5);
    }),
  );
});

test('a stale invocation counter is rejected (AARE rejected-permanent) and recovered by re-reading the IC object', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'smr5', async (meter) => {
      meter.state.lastClientIc = 500;
      const store = new MemoryInvocationCounterStore({ E0000001: 7 });
      const s = await DlmsSession.openManagement(managementOptions(meter, { invocationCounters: store }));
      assert.equal(meter.state.lastClientIc, 503); // AARQ 501, f(StoC) 502, HLS 503
      await s.release();
      assert.ok((await store.get('E0000001'))! >= 509);
    }),
  );
});

test('without recovery the stale counter is ASSOCIATION_REJECTED with result rejected-permanent', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'smr5', async (meter) => {
      meter.state.lastClientIc = 500;
      const o = managementOptions(meter, { invocationCounters: new MemoryInvocationCounterStore({ E0000001: 7 }) });
      const e = await rejection((DlmsSession as unknown as { associateManagement(o: unknown): Promise<unknown> }).associateManagement(o));
      assert.ok(hasCode(e, ErrorCode.ASSOCIATION_REJECTED), String(e));
      assert.equal((e as { details: { result: number } }).details.result, 1);
    }),
  );
});

test('the IC object read through the public client is last-received + 1', async () => {
  await withoutLeaks(() =>
    withMeter('hdlc', 'dsmr4', async (meter) => {
      meter.state.lastClientIc = 41;
      assert.equal(await readInvocationCounter({ host: '127.0.0.1', port: meter.port, framing: 'hdlc', responseTimeoutMs: 2000 }), 42);
    }),
  );
});

test('a stored counter above the meter\'s published one is never lowered (808 guard), and still associates', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'smr5', async (meter) => {
      const store = new MemoryInvocationCounterStore({ E0000001: 1000 });
      await assert.rejects(store.raise('E0000001', 5), (e) => hasCode(e, ErrorCode.ATTEMPT_TO_LOWER_INVOCATION_COUNTER));
      const s = await DlmsSession.openManagement(managementOptions(meter, { invocationCounters: store }));
      await s.release();
      assert.equal(meter.state.lastClientIc, 1002);
    }),
  );
});

test('wrong AK: the meter cannot decipher the AARQ -> AUTHENTICATION_ERROR 223', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'smr5', async (meter) => {
      const e = await rejection(DlmsSession.openManagement(managementOptions(meter, { ak: hex('FF'.repeat(16)) })));
      assert.ok(hasCode(e, ErrorCode.AUTHENTICATION_ERROR), String(e));
      assert.doesNotMatch(JSON.stringify({ m: (e as Error).message, j: e }), /FFFFFFFF|000102030405|D0D1D2D3/i);
    }),
  );
});

test('keys changed on the meter mid-session: it cannot decipher the request -> UNABLE_TO_DECYPHER 230', async () => {
  await withoutLeaks(() =>
    withMeter('hdlc', 'smr5', async (meter) => {
      const s = await DlmsSession.openManagement(managementOptions(meter));
      meter.state.keys.ek = hex('77'.repeat(16));
      const e = await rejection(new MbusGateway(s, 1).readEncryptionKeyStatus(1));
      assert.ok(hasCode(e, ErrorCode.UNABLE_TO_DECYPHER), String(e));
      s.destroy();
    }),
  );
});

test('a meter response whose invocation counter goes backwards is refused (ILLEGAL_RESPONSE 232)', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'smr5', async (meter) => {
      const s = await DlmsSession.openManagement(managementOptions(meter));
      meter.state.meterIc = 5;
      const e = await rejection(new MbusGateway(s, 1).readEncryptionKeyStatus(1));
      assert.ok(hasCode(e, ErrorCode.ILLEGAL_RESPONSE), String(e));
      assert.match(String((e as Error).message), /replayed/);
      s.destroy();
    }),
  );
});

test('transfer_key with a blob made under the wrong Default key: other-reason 250, the G-meter keeps no key', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'smr5', async (meter) => {
      const s = await DlmsSession.openManagement(managementOptions(meter));
      const e = await rejection(new MbusGateway(s, 1).transferKey(1, blobFor('smr5', NEW_USER_KEY, hex('AA'.repeat(16)))));
      assert.ok(hasCode(e, ErrorCode.ACTION_RESULT), String(e));
      assert.equal((e as { details: { result: number } }).details.result, 250);
      assert.equal(meter.gMeterKey(1), undefined);
      await s.release();
    }),
  );
});

test('status 3 when set and transferred keys differ; empty channel reads as zeros and actions on it fail', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'dsmr4', async (meter) => {
      const s = await DlmsSession.openManagement(managementOptions(meter));
      const gw = new MbusGateway(s, 0);
      await gw.transferKey(1, blobFor('dsmr4', NEW_USER_KEY));
      await gw.setEncryptionKey(1, hex('99'.repeat(16)));
      assert.equal(await gw.readEncryptionKeyStatus(1), 3);
      assert.deepEqual(await gw.readChannel(2), { channel: 2, primaryAddress: 0, identificationNumber: '00000000', manufacturerIdentification: '', version: 0, deviceTypeIdentification: 0 });
      await assert.rejects(gw.setEncryptionKey(2, NEW_USER_KEY), (e) => hasCode(e, ErrorCode.ACTION_RESULT));
      await s.release();
    }),
  );
});

test('coupling writes the identity (BCD on DSMR4), decoupling deinstalls; G-meters can be installed at run time', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'dsmr4', async (meter) => {
      const s = await DlmsSession.openManagement(managementOptions(meter));
      const gw = new MbusGateway(s, 0);
      await gw.writeChannelIdentity(3, { primaryAddress: 4, identificationNumber: '99310014', manufacturerIdentification: 'LGB', version: 66, deviceTypeIdentification: 3 });
      assert.equal(meter.gMeter(3)?.identification, '99310014');
      assert.deepEqual((await gw.scanChannels()).map((c) => c.identificationNumber), ['12056731', '00000000', '99310014', '00000000']);
      await gw.slaveDeinstall(3);
      assert.equal(meter.gMeter(3), undefined);
      meter.installGMeter(4, { ...testGMeter(), identification: '00000561' });
      assert.equal((await gw.readChannel(4)).identificationNumber, '00000561');
      await s.release();
    }),
  );
});

test('security setup global key transfer: new EK and AK apply after the response, the session switches and continues', async () => {
  await withoutLeaks(() =>
    withMeter('hdlc', 'smr5', async (meter) => {
      const s = await DlmsSession.openManagement(managementOptions(meter));
      const newEk = hex('112233445566778899AABBCCDDEEFF00');
      const newAk = hex('2233445566778899AABBCCDDEEFF0011');
      const param = wrapGlobalKeyTransfer(hex('00112233445566778899AABBCCDDEEFF'), [
        { keyId: GlobalKeyId.AUTHENTICATION_KEY, key: newAk },
        { keyId: GlobalKeyId.GLOBAL_UNICAST_ENCRYPTION_KEY, key: newEk },
      ]);
      await s.action({ classId: 64, obis: '0-0:43.0.0.255', methodId: 2 }, param);
      assert.deepEqual(meter.state.keys.ek, newEk);
      s.switchKeys({ ek: newEk, ak: newAk });
      assert.equal(await new MbusGateway(s, 1).readEncryptionKeyStatus(1), 0);
      await s.release();
    }),
  );
});

test('public client: clock is readable, M-Bus objects are not; a long attribute arrives by block transfer', async () => {
  await withoutLeaks(() =>
    withMeter('hdlc', 'smr5', async (meter) => {
      const s = await DlmsSession.openPublic({ host: '127.0.0.1', port: meter.port, framing: 'hdlc', maxReceivePduSize: 16, responseTimeoutMs: 2000 });
      const clock = await s.get({ classId: 8, obis: '0-0:1.0.0.255', attributeId: 2 });
      assert.equal(clock.type, 'octet-string');
      const e = await rejection(s.get({ classId: 72, obis: '0-1:24.1.0.255', attributeId: 6 }));
      assert.ok(hasCode(e, ErrorCode.DATA_ACCESS_RESULT));
      const name = await s.get({ classId: 1, obis: '0-0:42.0.0.255', attributeId: 2 });
      assert.equal(name.type === 'octet-string' && name.value.toString('ascii'), 'MFS4B464D1020000001');
      await s.release();
    }),
  );
});

// ---------------------------------------------------------------------------------------------------------------
// Fault injection: each ends in its typed error within the timeout, leaving nothing behind.

test('fault: link latency beyond the response timeout -> RESPONSE_TIMEOUT 233', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'smr5', async (meter) => {
      const s = await DlmsSession.openManagement(managementOptions(meter, { responseTimeoutMs: 150 }));
      meter.faults = { latencyMs: 1500 };
      const started = Date.now();
      const e = await rejection(new MbusGateway(s, 1).readChannel(1));
      assert.ok(hasCode(e, ErrorCode.RESPONSE_TIMEOUT), String(e));
      assert.ok(Date.now() - started < 1200, 'ended by the 150 ms response timeout, not by the late answer');
      s.destroy();
      await new Promise((r) => setTimeout(r, 1600)); // let the delayed answer run into the closed socket
    }),
  );
});

test('fault: small latency only slows the exchange down', async () => {
  await withoutLeaks(() =>
    withMeter('hdlc', 'dsmr4', async (meter) => {
      meter.faults = { latencyMs: 20 };
      const s = await DlmsSession.openManagement(managementOptions(meter));
      assert.equal(await new MbusGateway(s, 0).readEncryptionKeyStatus(1), 0);
      await s.release();
    }),
  );
});

for (const framing of ['wrapper', 'hdlc'] as FramingKind[]) {
  test(`${framing} fault: connection dropped at the 4th APDU -> SOCKET_CLOSED_BY_REMOTE 229`, async () => {
    await withoutLeaks(() =>
      withMeter(framing, 'smr5', async (meter) => {
        const s = await DlmsSession.openManagement(managementOptions(meter));
        meter.faults = { dropAfterApdus: 3 };
        const e = await rejection(new MbusGateway(s, 1).readChannel(1));
        assert.ok(hasCode(e, ErrorCode.SOCKET_CLOSED_BY_REMOTE), String(e));
        s.destroy();
      }),
    );
  });
}

test('faultNextConnection applies each plan to exactly one connection, in order, however short-lived', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'smr5', async (meter) => {
      const store = new MemoryInvocationCounterStore({ E0000001: 100 });
      // Two faulted connections: the AARQ and the IC re-read after it both drop.
      const first = meter.faultNextConnection({ dropAfterApdus: 1 });
      const second = meter.faultNextConnection({ dropAfterApdus: 1 });
      const e = await rejection(DlmsSession.openManagement(managementOptions(meter, { invocationCounters: store })));
      assert.ok(hasCode(e, ErrorCode.SOCKET_CLOSED_BY_REMOTE), String(e));
      await Promise.all([first, second]);
      // One faulted connection: the dropped AARQ is recovered on the next, healthy connections.
      const third = meter.faultNextConnection({ dropAfterApdus: 1 });
      const s = await DlmsSession.openManagement(managementOptions(meter, { invocationCounters: store }));
      await third;
      assert.equal((await new MbusGateway(s, 1).readChannel(1)).identificationNumber, '12056731');
      await s.release();
      assert.deepEqual(meter.faults, {});
    }),
  );
});

test('fault: connection dropped at the AARQ, also for the IC re-read -> SOCKET_CLOSED_BY_REMOTE 229', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'smr5', async (meter) => {
      meter.faults = { dropAfterApdus: 1 };
      const e = await rejection(DlmsSession.openManagement(managementOptions(meter, { invocationCounters: new MemoryInvocationCounterStore({ E0000001: 1 }) })));
      assert.ok(hasCode(e, ErrorCode.SOCKET_CLOSED_BY_REMOTE), String(e));
    }),
  );
});

test('fault: a chosen method answered with a chosen error -> ACTION_RESULT 1101 carrying the result', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'smr5', async (meter) => {
      meter.faults = { methodError: { classId: 72, obis: '0-1:24.1.0.255', methodId: 8, result: 2 } };
      const s = await DlmsSession.openManagement(managementOptions(meter));
      const e = await rejection(new MbusGateway(s, 1).transferKey(1, blobFor('smr5', NEW_USER_KEY)));
      assert.ok(hasCode(e, ErrorCode.ACTION_RESULT), String(e));
      assert.equal((e as { details: { result: number } }).details.result, 2);
      assert.match((e as Error).message, /TEMPORARY_FAILURE/);
      await s.release();
    }),
  );
});

test('fault: garbage answers -> ILLEGAL_RESPONSE 232', async () => {
  await withoutLeaks(() =>
    withMeter('hdlc', 'smr5', async (meter) => {
      const s = await DlmsSession.openManagement(managementOptions(meter));
      meter.faults = { garbageFrom: 1 };
      const e = await rejection(new MbusGateway(s, 1).readEncryptionKeyStatus(1));
      assert.ok(hasCode(e, ErrorCode.ILLEGAL_RESPONSE), String(e));
      await s.release();
    }),
  );
});

test('fault: a silent meter -> RESPONSE_TIMEOUT 233 within the per-APDU timeout', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'dsmr4', async (meter) => {
      meter.faults = { silentFrom: 1 };
      const started = Date.now();
      const e = await rejection(DlmsSession.openManagement(managementOptions(meter, { responseTimeoutMs: 100, invocationCounters: new MemoryInvocationCounterStore({ E0000001: 1 }) })));
      assert.ok(hasCode(e, ErrorCode.RESPONSE_TIMEOUT), String(e));
      assert.ok(Date.now() - started < 1000);
    }),
  );
});

test('the open meter connections gauge returns to its value after good, failed and dropped sessions', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'smr5', async (meter) => {
      const before = await openConnections();
      const s = await DlmsSession.openManagement(managementOptions(meter));
      assert.equal(await openConnections(), before + 1);
      await s.release();
      await rejection(DlmsSession.openManagement(managementOptions(meter, { ak: hex('FF'.repeat(16)) })));
      meter.faults = { dropAfterApdus: 2 };
      const s2 = await rejection(DlmsSession.openManagement(managementOptions(meter)));
      assert.ok(isMeterfabricError(s2));
      assert.equal(await openConnections(), before);
    }),
  );
});

test('a refused connection -> CONNECTION_REFUSED 225', async () => {
  const port = await withMeter('wrapper', 'smr5', async (m) => m.port);
  const e = await rejection(DlmsSession.openPublic({ host: '127.0.0.1', port, framing: 'wrapper' }));
  assert.ok(hasCode(e, ErrorCode.CONNECTION_REFUSED), String(e));
});

test('SET with list writes every attribute in one APDU, answers one result per attribute, and matches one SET each', async () => {
  const writes = [
    { ref: { classId: 8, obis: '0-0:1.0.0.255', attributeId: 3 }, value: Data.long(-60) }, // clock time zone
    { ref: { classId: 1, obis: '0-1:94.31.0.255', attributeId: 2 }, value: Data.enum(3) }, // administrative status: refused
    { ref: { classId: 1, obis: '0-1:94.31.0.255', attributeId: 2 }, value: Data.enum(1) },
  ];
  for (const withListMax of [32, 1]) {
    await withoutLeaks(() =>
      withMeter('wrapper', 'smr5', async (meter) => {
        const store = new MemoryInvocationCounterStore({ E0000001: 1 });
        const s = await DlmsSession.openManagement(managementOptions(meter, { invocationCounters: store, withListMax }));
        const before = meter.state.lastClientIc;
        assert.deepEqual(await s.setMany(writes), [0, 250, 0], `withListMax ${withListMax}`);
        assert.equal(meter.state.lastClientIc - before, withListMax === 1 ? 3 : 1, 'APDUs sent');
        const back = await s.getMany(writes.slice(0, 2).map((w) => w.ref));
        assert.deepEqual(back.map((r) => (r.kind === 'data' ? encodeData(r.data).toString('hex') : r.result)), ['10ffc4', '1601']);
        await s.release();
      }),
    );
  }
});

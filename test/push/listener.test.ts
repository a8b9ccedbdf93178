import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import { PushListener, type PushSource } from '../../src/push/listener.ts';
import type { PushNotification } from '../../src/push/decode.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');
const DSMR4 = hex('45303035313030343030303030303131372C02000000');
const SMR5 = hex('00010001006600280F000000010002030911453030353130303430303030303031313709060001190900FF0601000000');

async function withListener(fn: (l: PushListener, got: PushNotification[], errors: string[]) => Promise<void>) {
  const got: PushNotification[] = [];
  const errors: string[] = [];
  const l = new PushListener({
    host: '127.0.0.1',
    port: 0,
    settleMs: 50,
    onPush: (p: PushNotification, _s: PushSource) => void got.push(p),
    onError: (e) => void errors.push(e.message),
  });
  await l.start();
  try {
    await fn(l, got, errors);
  } finally {
    await l.stop();
  }
}

const until = async (cond: () => boolean, ms = 3000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('several pushes on one TCP connection are decoded without waiting for the meter to close', async () => {
  await withListener(async (l, got) => {
    const s = net.connect(l.tcpPort!, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.write(Buffer.concat([SMR5, DSMR4.subarray(0, 10)]));
    s.write(DSMR4.subarray(10));
    await until(() => got.length === 2);
    assert.equal(got[0].format, 'SMR5');
    assert.deepEqual(got[1].alarms, ['NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_2']);
    s.destroy();
  });
});

test('a UDP datagram is one push', async () => {
  await withListener(async (l, got) => {
    const u = dgram.createSocket('udp4');
    await new Promise<void>((r) => u.send(SMR5, l.udpPort!, '127.0.0.1', () => r()));
    await until(() => got.length === 1);
    u.close();
    assert.equal(got[0].deviceIdentification, 'E0051004000000117');
  });
});

test('garbage on a connection is reported and the connection closed', async () => {
  await withListener(async (l, got, errors) => {
    const s = net.connect(l.tcpPort!, '127.0.0.1');
    const closed = new Promise((r) => s.once('close', r));
    s.write(Buffer.from('this is not a push notification at all'));
    await closed;
    assert.equal(got.length, 0);
    assert.equal(errors.length, 1);
  });
});

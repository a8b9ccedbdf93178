// HDLC station state machine, sans-IO: two stations exchange frames directly (docs/dlms.md#hdlc).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HdlcAddress, HdlcFrame } from '../../src/transport/hdlc.ts';
import { HdlcStation } from '../../src/transport/hdlc-link.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function pair(clientMax = 128, serverMax = 128, serverSize: 1 | 2 | 4 = 1) {
  const server = new HdlcStation({ role: 'server', local: new HdlcAddress(1), parameters: { maxInfoTx: serverMax, maxInfoRx: serverMax } });
  const client = new HdlcStation({
    role: 'client',
    local: new HdlcAddress(16),
    remote: serverSize === 1 ? new HdlcAddress(1) : new HdlcAddress(1, 0x11, serverSize),
    parameters: { maxInfoTx: clientMax, maxInfoRx: clientMax },
  });
  return { client, server };
}

/** Delivers frames back and forth until both are quiet; returns every frame and the APDUs each side got. */
function pump(first: Buffer[], from: HdlcStation, to: HdlcStation) {
  const log: { dir: string; frame: HdlcFrame }[] = [];
  const got = new Map<HdlcStation, Buffer[]>([[from, []], [to, []]]);
  let queue = first.map((b) => ({ bytes: b, dst: to }));
  while (queue.length) {
    const next: typeof queue = [];
    for (const { bytes, dst } of queue) {
      const frame = HdlcFrame.decode(bytes);
      log.push({ dir: dst === to ? '>' : '<', frame });
      const step = dst.receive(frame);
      got.get(dst)!.push(...step.apdus);
      const other = dst === to ? from : to;
      for (const f of step.frames) next.push({ bytes: f, dst: other });
    }
    queue = next;
  }
  return { log, got };
}

test('client SNRM without parameters matches the worked example and the server answers UA with 128/128', () => {
  const { client, server } = pair();
  const snrm = client.connect();
  assert.deepEqual(snrm, hex('7E A0 07 03 21 93 0F 01 7E'));
  const step = server.receive(HdlcFrame.decode(snrm));
  assert.deepEqual(step.frames[0], hex('7E A0 1E 21 03 73 C3 7A 81 80 12 05 01 80 06 01 80 07 04 00 00 00 01 08 04 00 00 00 01 53 3B 7E'));
  assert.deepEqual(client.receive(HdlcFrame.decode(step.frames[0])).events, ['connected']);
  assert.equal(client.state, 'connected');
});

test('request/response I-frames carry the worked-example controls 10/30 then 32/52', () => {
  const { client, server } = pair();
  pump([client.connect()], client, server);
  const controls: number[] = [];
  for (let i = 0; i < 2; i++) {
    const [req] = client.sendApdu(hex('C0 01 C1 00 01 00 00 2B 01 00 FF 02 00'));
    controls.push(HdlcFrame.decode(req).control);
    const s = server.receive(HdlcFrame.decode(req));
    assert.deepEqual(s.apdus, [hex('C0 01 C1 00 01 00 00 2B 01 00 FF 02 00')]);
    const [resp] = server.sendApdu(hex('C4 01 C1 00 06 00 00 00 01'));
    controls.push(HdlcFrame.decode(resp).control);
    if (i === 1) assert.deepEqual(resp, hex('7E A0 15 21 03 52 5D 8A E6 E7 00 C4 01 C1 00 06 00 00 00 01 F4 09 7E'));
    assert.deepEqual(client.receive(HdlcFrame.decode(resp)).apdus, [hex('C4 01 C1 00 06 00 00 00 01')]);
  }
  assert.deepEqual(controls, [0x10, 0x30, 0x32, 0x52]);
});

test('sequence numbers wrap after 8 I-frames', () => {
  const { client, server } = pair();
  pump([client.connect()], client, server);
  const seen: number[] = [];
  for (let i = 0; i < 10; i++) {
    const [req] = client.sendApdu(Buffer.from([i]));
    seen.push(HdlcFrame.decode(req).control);
    server.receive(HdlcFrame.decode(req));
    const [resp] = server.sendApdu(Buffer.from([i]));
    assert.deepEqual(client.receive(HdlcFrame.decode(resp)).apdus, [Buffer.from([i])]);
  }
  assert.deepEqual(seen.slice(0, 9), [0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, 0x10]);
});

test('a long request is segmented with S=1 and acknowledged by RR; the server reassembles it', () => {
  const { client, server } = pair(32, 32);
  pump([client.connect()], client, server);
  assert.equal(client.maxInfoTx, 32);
  const apdu = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
  const { log, got } = pump(client.sendApdu(apdu), client, server);
  assert.deepEqual(got.get(server), [apdu]);
  const toServer = log.filter((l) => l.dir === '>').map((l) => l.frame);
  const rrs = log.filter((l) => l.dir === '<').map((l) => l.frame);
  assert.equal(toServer.length, 4); // 103 bytes with LLC in 32-byte pieces
  assert.deepEqual(toServer.map((f) => f.segmented), [true, true, true, false]);
  assert.deepEqual(rrs.map((f) => f.kind), ['RR', 'RR', 'RR']);
  assert.deepEqual(rrs.map((f) => f.receiveSequence), [1, 2, 3]);
});

test('a long response is segmented by the server and reassembled by the client', () => {
  const { client, server } = pair(128, 40);
  pump([client.connect()], client, server);
  assert.equal(server.maxInfoTx, 40);
  pump(client.sendApdu(hex('C0 01 C1 00 01')), client, server);
  const resp = Buffer.alloc(150, 0xab);
  const { got, log } = pump(server.sendApdu(resp), server, client);
  assert.deepEqual(got.get(client), [resp]);
  assert.equal(log.filter((l) => l.frame.kind === 'I').length, 4);
  assert.equal(log.filter((l) => l.frame.kind === 'RR').length, 3);
  // The link is still in step afterwards.
  const [next] = client.sendApdu(hex('C0 01 C1 00 02'));
  assert.deepEqual(server.receive(HdlcFrame.decode(next)).apdus, [hex('C0 01 C1 00 02')]);
});

test('the server answers from the 4-byte address the client used', () => {
  const { client, server } = pair(128, 128, 4);
  const ua = server.receive(HdlcFrame.decode(client.connect())).frames[0];
  const f = HdlcFrame.decode(ua);
  assert.equal(f.source.size, 4);
  assert.equal(f.source.lower, 0x11);
  assert.deepEqual(client.receive(f).events, ['connected']);
});

test('DISC is answered with UA when connected and DM when not', () => {
  const { client, server } = pair();
  pump([client.connect()], client, server);
  const disc = client.disconnect()!;
  assert.deepEqual(disc, hex('7E A0 07 03 21 53 03 C7 7E'));
  const s = server.receive(HdlcFrame.decode(disc));
  assert.equal(HdlcFrame.decode(s.frames[0]).kind, 'UA');
  assert.deepEqual(client.receive(HdlcFrame.decode(s.frames[0])).events, ['disconnected']);
  const again = server.receive(HdlcFrame.decode(disc));
  assert.equal(HdlcFrame.decode(again.frames[0]).kind, 'DM');
});

test('DM in answer to SNRM is reported as refused', () => {
  const { client } = pair();
  client.connect();
  const dm = new HdlcFrame(new HdlcAddress(16), new HdlcAddress(1), 0x1f);
  assert.deepEqual(client.receive(HdlcFrame.decode(dm.encode())).events, ['refused']);
  assert.equal(client.state, 'disconnected');
});

test('an information field without the LLC header is refused', () => {
  const { client, server } = pair();
  pump([client.connect()], client, server);
  const bad = new HdlcFrame(new HdlcAddress(1), new HdlcAddress(16), HdlcFrame.iControl(0, 0), hex('C0 01 C1'));
  assert.throws(() => server.receive(bad), /LLC/);
});

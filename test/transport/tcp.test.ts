// Framed transports over an in-memory pair and over loopback TCP, with the error codes of issue 2 scope 3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { memoryChannelPair } from '../../src/transport/channel.ts';
import { clientTransportOn, connectClientTransport, connectTcp, listenTransport, serverTransportOn } from '../../src/transport/tcp.ts';
import type { ApduTransport, FramingKind } from '../../src/transport/transport.ts';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';
import { rejection, withoutLeaks } from './support.ts';

const hasCode = (e: unknown, code: number) => isMeterfabricError(e) && e.code === code;

/** Echo server: answers every APDU with the same bytes prefixed by 0xEE. */
function echo(t: ApduTransport): void {
  (async () => {
    try {
      while (true) {
        const a = await t.receive();
        await t.send(Buffer.concat([Buffer.from([0xee]), a]));
      }
    } catch {
      t.destroy();
    }
  })();
}

for (const framing of ['wrapper', 'hdlc'] as FramingKind[]) {
  test(`${framing}: request and response over an in-memory pair without a network`, async () => {
    await withoutLeaks(async () => {
      const [a, b] = memoryChannelPair();
      const server = serverTransportOn(b, framing, { hdlcParameters: { maxInfoTx: 64, maxInfoRx: 64 } });
      echo(server);
      const client = await clientTransportOn(a, { framing, clientAddress: 16, connectTimeoutMs: 1000 });
      const big = Buffer.alloc(300, 7);
      await client.send(big);
      assert.deepEqual(await client.receive(1000), Buffer.concat([Buffer.from([0xee]), big]));
      assert.equal(server.clientAddress, 16);
      await client.close();
      assert.equal(client.open, false);
    });
  });

  test(`${framing}: loopback TCP round trips, then an orderly close`, async () => {
    await withoutLeaks(async () => {
      const srv = await listenTransport({ port: 0, framing, onConnection: echo });
      const client = await connectClientTransport({ host: '127.0.0.1', port: srv.port, framing, clientAddress: 1, connectTimeoutMs: 2000 });
      for (let i = 0; i < 5; i++) {
        await client.send(Buffer.from([0xc0, i]));
        assert.deepEqual(await client.receive(1000), Buffer.from([0xee, 0xc0, i]));
      }
      await client.close();
      await srv.close();
    });
  });

  test(`${framing}: a silent peer ends the receive with RESPONSE_TIMEOUT 233 and no timer left`, async () => {
    await withoutLeaks(async () => {
      const srv = await listenTransport({ port: 0, framing, onConnection: () => {} });
      const client = await connectClientTransport({ host: '127.0.0.1', port: srv.port, framing: 'wrapper', clientAddress: 1 });
      await client.send(Buffer.from([0xc0]));
      const started = Date.now();
      const e = await rejection(client.receive(60));
      assert.ok(hasCode(e, ErrorCode.RESPONSE_TIMEOUT), String(e));
      assert.ok(Date.now() - started < 1000);
      client.destroy();
      await srv.close();
    });
  });

  test(`${framing}: a peer that closes ends the receive with SOCKET_CLOSED_BY_REMOTE 229`, async () => {
    await withoutLeaks(async () => {
      const srv = await listenTransport({
        port: 0,
        framing,
        onConnection: (t) => {
          t.receive().then(() => t.close(), () => {});
        },
      });
      const client = await connectClientTransport({ host: '127.0.0.1', port: srv.port, framing, clientAddress: 1 });
      await client.send(Buffer.from([0xc0]));
      const e = await rejection(client.receive(2000));
      assert.ok(hasCode(e, ErrorCode.SOCKET_CLOSED_BY_REMOTE), String(e));
      await assert.rejects(client.send(Buffer.from([1])), (x) => hasCode(x, ErrorCode.SOCKET_CLOSED_BY_REMOTE));
      await client.close();
      await srv.close();
    });
  });
}

test('connection refused is CONNECTION_REFUSED 225', async () => {
  await withoutLeaks(async () => {
    const port = await new Promise<number>((res) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => res(p));
      });
    });
    const e = await rejection(connectClientTransport({ host: '127.0.0.1', port, framing: 'wrapper', clientAddress: 1 }));
    assert.ok(hasCode(e, ErrorCode.CONNECTION_REFUSED), String(e));
  });
});

test('HDLC: a peer that never answers SNRM is CONNECTION_TIMED_OUT 227 within the connect timeout', async () => {
  await withoutLeaks(async () => {
    const sockets: net.Socket[] = [];
    const srv = net.createServer((s) => sockets.push(s)).listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    const started = Date.now();
    const e = await rejection(connectClientTransport({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port, framing: 'hdlc', clientAddress: 16, connectTimeoutMs: 80 }));
    assert.ok(hasCode(e, ErrorCode.CONNECTION_TIMED_OUT), String(e));
    assert.ok(Date.now() - started < 1000);
    for (const s of sockets) s.destroy();
    await new Promise((r) => srv.close(r));
  });
});

test('a reset connection is CONNECTION_RESET 226', async () => {
  await withoutLeaks(async () => {
    const srv = net.createServer((s) => s.once('data', () => s.resetAndDestroy())).listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    const client = await connectClientTransport({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port, framing: 'wrapper', clientAddress: 1 });
    await client.send(Buffer.from([0xc0]));
    const e = await rejection(client.receive(2000));
    assert.ok(hasCode(e, ErrorCode.CONNECTION_RESET), String(e));
    await client.close();
    await new Promise((r) => srv.close(r));
  });
});

test('WRAPPER: a reply with a bad version ends the receive with WRAPPER_HEADER_INVALID 231', async () => {
  await withoutLeaks(async () => {
    const srv = net.createServer((s) => s.once('data', () => s.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')))).listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    const client = await connectClientTransport({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port, framing: 'wrapper', clientAddress: 1 });
    await client.send(Buffer.from([0xc0]));
    const e = await rejection(client.receive(2000));
    assert.ok(hasCode(e, ErrorCode.WRAPPER_HEADER_INVALID), String(e));
    await client.close();
    await new Promise((r) => srv.close(r));
  });
});

test('connectTcp to a closed port rejects quickly with a typed error', async () => {
  const e = await rejection(connectTcp('127.0.0.1', 1, 1000));
  assert.ok(isMeterfabricError(e) && [ErrorCode.CONNECTION_REFUSED, ErrorCode.CONNECTION_ERROR].includes(e.code as 225), String(e));
});

test('memory pair: destroy on one side is seen as a reset by the other', async () => {
  const [a, b] = memoryChannelPair();
  const server = serverTransportOn(b, 'wrapper');
  const client = await clientTransportOn(a, { framing: 'wrapper', clientAddress: 1 });
  const pending = client.receive(1000);
  server.destroy();
  assert.ok(hasCode(await rejection(pending), ErrorCode.CONNECTION_RESET));
});

// The simulator grants general-protection in its AARE (conformance 40 1E 1D), so it must serve general-glo-ciphering
// (and general-ded-ciphering when the client gave a dedicated key); the client must understand a meter that answers
// with general-glo-ciphering. Over real loopback TCP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';
import { DlmsSession } from '../../src/session/client.ts';
import { MbusGateway } from '../../src/session/mbus.ts';
import { connectClientTransport, type ClientTransportOptions } from '../../src/transport/tcp.ts';
import type { ApduTransport } from '../../src/transport/transport.ts';
import {
  Aarq,
  Aare,
  ActionRequestNormal,
  ActionResponseNormal,
  ApplicationContextName,
  Conformance,
  ExceptionResponse,
  GetRequestNormal,
  GetResponseNormal,
  InitiateRequest,
  InitiateResponse,
  MechanismName,
} from '../../src/dlms/apdu/index.ts';
import { Obis } from '../../src/dlms/obis.ts';
import { generalGloDecrypt, generalGloEncrypt, gloDecrypt, gloEncrypt, hlsGmac, verifyHlsGmac } from '../../src/dlms/security/index.ts';
import { TEST_KEYS } from '../../src/simulator/meter.ts';
import { withoutLeaks } from '../transport/support.ts';
import { CLIENT_TITLE, DEFAULT_KEY, NEW_USER_KEY, hex, managementOptions, withMeter } from './helpers.ts';
import { buildSmr5TransferKey } from '../../src/dlms/security/index.ts';

const keys = { ek: hex(TEST_KEYS.ek), ak: hex(TEST_KEYS.ak) };
const METER_TITLE = hex(TEST_KEYS.systemTitle);

/** Real TCP, with every APDU sent and received recorded. */
function recording() {
  const sent: Buffer[] = [];
  const received: Buffer[] = [];
  const openTransport = async (o: ClientTransportOptions): Promise<ApduTransport> => {
    const t = await connectClientTransport(o);
    const send = t.send.bind(t);
    const receive = t.receive.bind(t);
    t.send = (apdu) => {
      sent.push(Buffer.from(apdu));
      return send(apdu);
    };
    t.receive = async (ms) => {
      const r = await receive(ms);
      received.push(Buffer.from(r));
      return r;
    };
    return t;
  };
  return { sent, received, openTransport };
}

const tags = (apdus: Buffer[]) => apdus.map((a) => a[0]!.toString(16));

for (const framing of ['wrapper', 'hdlc'] as const) {
  test(`${framing}: a client that proposes general-protection (as Gurux) runs the key exchange in general-glo-ciphering`, async () => {
    await withoutLeaks(() =>
      withMeter(framing, 'smr5', async (meter) => {
        const wire = recording();
        const s = await DlmsSession.openManagement(managementOptions(meter, { generalProtection: true, openTransport: wire.openTransport }));
        assert.ok(s.conformance.has('general-protection'));
        const gw = new MbusGateway(s, 1);
        assert.equal((await gw.readChannel(1)).identificationNumber, '12056731');
        const blob = buildSmr5TransferKey({ defaultKey: DEFAULT_KEY, newKey: NEW_USER_KEY, keyId: 0, kcc: 848800000, identificationNumber: '12056731', manufacturerId: 0x198f });
        await gw.transferKey(1, blob);
        await gw.setEncryptionKey(1, NEW_USER_KEY);
        assert.equal(await gw.readEncryptionKeyStatus(1), 4);
        await gw.release();
        assert.deepEqual(meter.gMeterKey(1), NEW_USER_KEY);
        // Public client (IC read): AARQ 60, GET C0, RLRQ 62. Management: AARQ 60, then HLS pass 3, get-with-list,
        // transfer_key, set_encryption_key and the status read all DB, RLRQ 62.
        const management = wire.sent.slice(3);
        assert.deepEqual(tags(management), ['60', 'db', 'db', 'db', 'db', 'db', '62']);
        assert.deepEqual(tags(wire.received.slice(3)), ['61', 'db', 'db', 'db', 'db', 'db', '63']);
        for (const apdu of management.slice(1, -1)) assert.deepEqual(apdu.subarray(1, 10), Buffer.concat([Buffer.from([8]), CLIENT_TITLE]));
        for (const apdu of wire.received.slice(4, -1)) assert.deepEqual(apdu.subarray(1, 10), Buffer.concat([Buffer.from([8]), METER_TITLE]));
      }),
    );
  });
}

test('a meter that answers glo-ciphered requests with general-glo-ciphering: the default client reads and writes through it', async () => {
  await withoutLeaks(() =>
    withMeter(
      'wrapper',
      'dsmr4',
      async (meter) => {
        const wire = recording();
        const s = await DlmsSession.openManagement(managementOptions(meter, { openTransport: wire.openTransport }));
        assert.equal(s.conformance.has('general-protection'), false);
        const gw = new MbusGateway(s, 0);
        assert.equal((await gw.readChannel(1)).manufacturerIdentification, 'FLO');
        await gw.setEncryptionKey(1, NEW_USER_KEY);
        assert.equal(await gw.readEncryptionKeyStatus(1), 1);
        await gw.release();
        assert.deepEqual(tags(wire.sent.slice(3)), ['60', 'cb', 'c8', 'cb', 'c8', '62']);
        assert.deepEqual(tags(wire.received.slice(3)), ['61', 'db', 'db', 'db', 'db', '63']);
      },
      { generalGloResponses: true },
    ),
  );
});

// ---------------------------------------------------------------------------------------------------------------
// Hand-built associations: what the session does not send (general-ded-ciphering, general-glo without the grant).

const IC_OBJECT = { classId: 1, instance: Obis.parse('0-0:43.1.0.255'), attributeId: 2 };

/** AARQ with HLS5-GMAC and a glo-initiate-request at IC `ic`; resolves with the StoC and the negotiated conformance. */
async function associate(t: ApduTransport, ic: number, conformance: number, dedicatedKey?: Buffer): Promise<{ stoc: Buffer; conformance: Conformance }> {
  const ctos = hex('000102030405060708090A0B0C0D0E0F');
  const initiate = new InitiateRequest({ proposedConformance: Conformance.fromValue(conformance), clientMaxReceivePduSize: 0xffff, dedicatedKey });
  await t.send(
    new Aarq({
      applicationContextName: ApplicationContextName.LN_CIPHERED,
      callingApTitle: CLIENT_TITLE,
      authentication: true,
      mechanismName: MechanismName.HLS_GMAC,
      callingAuthenticationValue: ctos,
      userInformation: gloEncrypt({ plaintext: initiate.encode(), systemTitle: CLIENT_TITLE, invocationCounter: ic, keys }),
    }).encode(),
  );
  const aare = Aare.decode(await t.receive(2000));
  assert.ok(aare.accepted);
  const ir = gloDecrypt(aare.userInformation!, { systemTitle: METER_TITLE, keys });
  return { stoc: aare.respondingAuthenticationValue!, conformance: InitiateResponse.decode(ir.plaintext).negotiatedConformance };
}

async function rawSession<T>(port: number, body: (t: ApduTransport) => Promise<T>): Promise<T> {
  const t = await connectClientTransport({ host: '127.0.0.1', port, framing: 'wrapper', clientAddress: 1, serverAddress: 1, connectTimeoutMs: 2000 });
  try {
    return await body(t);
  } finally {
    t.destroy();
  }
}

test('general-ded-ciphering under the dedicated key of the AARQ: HLS pass 3 and a GET, answered in kind', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'smr5', async (meter) => {
      await rawSession(meter.port, async (t) => {
        const dedicated = { ek: hex('A0A1A2A3A4A5A6A7A8A9AAABACADAEAF'), ak: keys.ak };
        const { stoc, conformance } = await associate(t, 1, 0x401e1d, dedicated.ek);
        assert.ok(conformance.has('general-protection'));
        const fStoC = hlsGmac({ challenge: stoc, systemTitle: CLIENT_TITLE, invocationCounter: 2, keys });
        const hls = new ActionRequestNormal({ method: { classId: 15, instance: Obis.parse('0-0:40.0.0.255'), methodId: 1 }, parameters: { type: 'octet-string', value: fStoC } }).encode();
        await t.send(generalGloEncrypt({ plaintext: hls, systemTitle: CLIENT_TITLE, invocationCounter: 3, keys: dedicated, dedicated: true }));
        const pass4 = await t.receive(2000);
        assert.equal(pass4[0], 0xdc);
        const action = ActionResponseNormal.decode(generalGloDecrypt(pass4, { keys: dedicated }).plaintext);
        assert.equal(action.result, 0);
        assert.ok(verifyHlsGmac((action.returnData as { value: Buffer }).value, { challenge: hex('000102030405060708090A0B0C0D0E0F'), systemTitle: METER_TITLE, keys }).valid);
        await t.send(generalGloEncrypt({ plaintext: new GetRequestNormal({ attribute: IC_OBJECT }).encode(), systemTitle: CLIENT_TITLE, invocationCounter: 4, keys: dedicated, dedicated: true }));
        const answer = await t.receive(2000);
        assert.equal(answer[0], 0xdc);
        const got = GetResponseNormal.decode(generalGloDecrypt(answer, { keys: dedicated }).plaintext);
        assert.deepEqual(got.result, { kind: 'data', data: { type: 'double-long-unsigned', value: 5 } });
        // The global key does not open it: it really is the dedicated one.
        assert.throws(() => generalGloDecrypt(answer, { keys }), (e: unknown) => isMeterfabricError(e) && e.code === ErrorCode.UNABLE_TO_DECYPHER);
      });
    }),
  );
});

test('general-glo-ciphering is refused where general-protection was not negotiated, general-ded where no dedicated key was given', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'smr5', async (meter) => {
      const get = new GetRequestNormal({ attribute: IC_OBJECT }).encode();
      await rawSession(meter.port, async (t) => {
        const { conformance } = await associate(t, 1, 0x001e1d);
        assert.equal(conformance.has('general-protection'), false);
        await t.send(generalGloEncrypt({ plaintext: get, systemTitle: CLIENT_TITLE, invocationCounter: 2, keys }));
        const x = ExceptionResponse.decode(await t.receive(2000));
        assert.deepEqual([x.stateError, x.serviceError], [1, 2]); // service-not-allowed, service-not-supported
      });
      await rawSession(meter.port, async (t) => {
        await associate(t, 10, 0x401e1d);
        await t.send(generalGloEncrypt({ plaintext: get, systemTitle: CLIENT_TITLE, invocationCounter: 12, keys, dedicated: true }));
        const x = ExceptionResponse.decode(await t.receive(2000));
        assert.deepEqual([x.stateError, x.serviceError], [1, 2]);
        // general-glo-ciphering naming another sender does not decipher.
        await t.send(generalGloEncrypt({ plaintext: get, systemTitle: METER_TITLE, invocationCounter: 13, keys }));
        const y = ExceptionResponse.decode(await t.receive(2000));
        assert.deepEqual([y.stateError, y.serviceError], [1, 5]); // deciphering-error
      });
    }),
  );
});

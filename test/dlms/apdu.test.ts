import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Data } from '../../src/dlms/axdr.ts';
import {
  Aare,
  Aarq,
  ActionRequestNormal,
  ActionResponseNormal,
  ApplicationContextName,
  AssociationResult,
  Conformance,
  ConfirmedServiceError,
  ExceptionResponse,
  GetRequestNext,
  GetRequestNormal,
  GetRequestWithList,
  GetResponseNormal,
  GetResponseWithDataBlock,
  GetResponseWithList,
  GloCipheredApdu,
  GeneralGloCiphering,
  InitiateRequest,
  InitiateResponse,
  MechanismName,
  Rlre,
  Rlrq,
  SetRequestNormal,
  SetRequestWithList,
  SetResponseWithList,
  SetResponseNormal,
  attributeDescriptor,
  decodeApdu,
  decodeInvokeIdAndPriority,
  encodeInvokeIdAndPriority,
  methodDescriptor,
  CONFORMANCE_LN_DEFAULT,
} from '../../src/dlms/apdu/index.ts';
import { isMeterfabricError } from '../../src/errors.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const isDecodeError = (re: RegExp) => (e: unknown) => isMeterfabricError(e) && e.code === 1000 && re.test(e.message);

function roundTrip(bytes: Buffer, obj: { encode(): Buffer }) {
  assert.deepEqual(obj.encode(), bytes);
  assert.deepEqual(decodeApdu(bytes), obj);
}

const MBUS1 = '0-1:24.1.0.255';

// ---------------------------------------------------------------------------------------------------------------
// docs/dlms.md#association-acse without ciphering

const PUBLIC_AARQ = h('60 1D A1 09 06 07 60 85 74 05 08 01 01 BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 40 1E 5D FF FF');
const PUBLIC_AARE = h('61 29 A1 09 06 07 60 85 74 05 08 01 01 A2 03 02 01 00 A3 05 A1 03 02 01 00 BE 10 04 0E 08 00 06 5F 1F 04 00 40 1E 1D FF FF 00 07');

test('public-client AARQ of docs/dlms.md#association-acse decodes and re-encodes byte for byte', () => {
  const aarq = Aarq.decode(PUBLIC_AARQ);
  assert.equal(aarq.applicationContextName, ApplicationContextName.LN);
  assert.equal(aarq.authentication, false);
  assert.equal(aarq.callingApTitle, undefined);
  const ir = InitiateRequest.decode(aarq.userInformation!);
  assert.equal(ir.proposedDlmsVersion, 6);
  assert.equal(ir.responseAllowed, true);
  assert.equal(ir.clientMaxReceivePduSize, 0xffff);
  assert.deepEqual(ir.proposedConformance.flags, [
    'general-protection', 'block-transfer-with-get', 'block-transfer-with-set', 'block-transfer-with-action',
    'multiple-references', 'access', 'get', 'set', 'selective-access', 'action',
  ]);
  const built = new Aarq({
    applicationContextName: ApplicationContextName.LN,
    userInformation: new InitiateRequest({
      proposedConformance: Conformance.of('general-protection', 'access', 'block-transfer-with-get', 'block-transfer-with-set', 'block-transfer-with-action', 'multiple-references', 'get', 'set', 'selective-access', 'action'),
      clientMaxReceivePduSize: 0xffff,
    }).encode(),
  });
  assert.deepEqual(built.encode(), PUBLIC_AARQ);
  assert.deepEqual(decodeApdu(PUBLIC_AARQ), aarq);
});

test('public-client AARE of docs/dlms.md#association-acse: accepted, InitiateResponse with conformance 00 40 1E 1D, LN vaa-name', () => {
  const aare = Aare.decode(PUBLIC_AARE);
  assert.equal(aare.result, AssociationResult.ACCEPTED);
  assert.ok(aare.accepted);
  assert.deepEqual(aare.resultSourceDiagnostic, { source: 'acse-service-user', value: 0 });
  assert.equal(aare.authenticationRequired, false);
  const resp = InitiateResponse.decode(aare.userInformation!);
  assert.equal(resp.negotiatedConformance.value, 0x401e1d);
  assert.ok(resp.negotiatedConformance.has('multiple-references'));
  assert.ok(!resp.negotiatedConformance.has('access'));
  assert.equal(resp.serverMaxReceivePduSize, 0xffff);
  assert.equal(resp.vaaName, 7);
  assert.deepEqual(aare.encode(), PUBLIC_AARE);
  assert.deepEqual(resp.encode(), h('08 00 06 5F 1F 04 00 40 1E 1D FF FF 00 07'));
});

test('GET of the invocation counter object (docs/dlms.md#invocation-counters, public client)', () => {
  roundTrip(h('C0 01 C1 00 01 00 00 2B 01 00 FF 02 00'), new GetRequestNormal({ invokeIdAndPriority: 0xc1, attribute: attributeDescriptor(1, '0-0:43.1.0.255', 2) }));
  roundTrip(h('C4 01 C1 00 06 00 00 00 01'), new GetResponseNormal({ result: { kind: 'data', data: Data.doubleLongUnsigned(1) } }));
});

test('RLRQ 62 03 80 01 00 and RLRE 63 03 80 01 00 (reason normal)', () => {
  roundTrip(h('62 03 80 01 00'), new Rlrq());
  roundTrip(h('63 03 80 01 00'), new Rlre());
  assert.deepEqual(new Rlrq({ reason: 0, userInformation: h('0102') }).encode(), h('62 09 80 01 00 BE 04 04 02 01 02'));
});

test('RLRE parsing is lenient: wrong user-information lengths, a lying outer length and no body are accepted', () => {
  assert.equal(Rlre.decode(h('63 0A 80 01 00 BE 10 04 0E 08 00')).reason, 0);
  assert.equal(Rlre.decode(h('63 FF 80 01 00')).reason, 0);
  assert.equal(Rlre.decode(h('63 00')).reason, undefined);
  assert.equal(Rlre.decode(h('63')).reason, undefined);
  const withUi = Rlre.decode(h('63 0B 80 01 00 BE 06 04 04 01 02 03 04'));
  assert.deepEqual(withUi.userInformation, h('01020304'));
  assert.throws(() => Rlre.decode(h('62 03 80 01 00')), isDecodeError(/expected tag 0x63/));
});

// ---------------------------------------------------------------------------------------------------------------
// docs/dlms.md#association-acse with ciphering and HLS5 (container level; the crypto is tested in security tests)

const CIPHERED_AARQ = h(`60 5D A1 09 06 07 60 85 74 05 08 01 03 A6 0A 04 08 20 20 20 00 00 00 00 01 8A 02 07 80
  8B 07 60 85 74 05 08 02 05 AC 12 80 10 39 57 8D 1F A8 8D B0 26 8A 50 E6 EB 36 BA 13 AC
  BE 23 04 21 21 1F 30 00 00 00 01 69 73 44 08 F1 3A 2E 78 19 5F ED 01 4A 64 A4 CC 40 66 99 21 B3 A9 7E A6 D4 9C`);
const CIPHERED_AARE = h(`61 69 A1 09 06 07 60 85 74 05 08 01 03 A2 03 02 01 00 A3 05 A1 03 02 01 0E
  A4 0A 04 08 4B 46 4D 10 20 00 00 01 88 02 07 80 89 07 60 85 74 05 08 02 05
  AA 12 80 10 3D F8 A9 0E AB 9C EC 93 4E AF 91 02 FF 93 3C 5F
  BE 23 04 21 28 1F 30 00 00 00 64 04 2C B3 87 AE A4 8B F4 2A A8 80 75 E3 A7 CE FA F1 C0 E8 4E 92 8E 6E 04 26 17`);

test('ciphered HLS5 AARQ of docs/dlms.md#association-acse: LN with ciphering, calling-AP-title, HLS5 GMAC, CtoS, glo-initiate-request', () => {
  const aarq = Aarq.decode(CIPHERED_AARQ);
  assert.equal(aarq.applicationContextName, ApplicationContextName.LN_CIPHERED);
  assert.deepEqual(aarq.callingApTitle, h('2020200000000001'));
  assert.equal(aarq.authentication, true);
  assert.equal(aarq.mechanismName, MechanismName.HLS_GMAC);
  assert.deepEqual(aarq.callingAuthenticationValue, h('39578D1FA88DB0268A50E6EB36BA13AC'));
  const glo = GloCipheredApdu.decode(aarq.userInformation!);
  assert.equal(glo.tag, 0x21);
  assert.equal(glo.securityControl, 0x30);
  assert.equal(glo.invocationCounter, 1);
  assert.equal(glo.content.length, 14 + 12);
  assert.deepEqual(aarq.encode(), CIPHERED_AARQ);
});

test('ciphered HLS5 AARE of docs/dlms.md#association-acse: accepted + authentication-required, responding-AP-title, StoC', () => {
  const aare = Aare.decode(CIPHERED_AARE);
  assert.ok(aare.accepted);
  assert.ok(aare.authenticationRequired);
  assert.equal(aare.description, 'ACCEPTED (acse-service-user AUTHENTICATION_REQUIRED)');
  assert.deepEqual(aare.respondingApTitle, h('4B464D1020000001'));
  assert.equal(aare.authentication, true);
  assert.equal(aare.mechanismName, MechanismName.HLS_GMAC);
  assert.deepEqual(aare.respondingAuthenticationValue, h('3DF8A90EAB9CEC934EAF9102FF933C5F'));
  const glo = GloCipheredApdu.decode(aare.userInformation!);
  assert.equal(glo.tag, 0x28);
  assert.equal(glo.invocationCounter, 100);
  assert.deepEqual(aare.encode(), CIPHERED_AARE);
});

test('rejected AARE of docs/dlms.md#association-acse: rejected-permanent, acse-service-user no-reason-given', () => {
  const bytes = h('61 17 A1 09 06 07 60 85 74 05 08 01 03 A2 03 02 01 01 A3 05 A1 03 02 01 01');
  const aare = Aare.decode(bytes);
  assert.equal(aare.result, AssociationResult.REJECTED_PERMANENT);
  assert.equal(aare.accepted, false);
  assert.deepEqual(aare.resultSourceDiagnostic, { source: 'acse-service-user', value: 1 });
  assert.equal(aare.description, 'REJECTED_PERMANENT (acse-service-user NO_REASON_GIVEN)');
  assert.deepEqual(aare.encode(), bytes);
  const provider = new Aare({ applicationContextName: 1, result: 2, resultSourceDiagnostic: { source: 'acse-service-provider', value: 2 } });
  assert.deepEqual(provider.encode(), h('61 17 A1 09 06 07 60 85 74 05 08 01 01 A2 03 02 01 02 A3 05 A2 03 02 01 02'));
  assert.deepEqual(Aare.decode(provider.encode()), provider);
});

test('AARE with a ConfirmedServiceError in user-information (docs/dlms.md#errors-and-rejects)', () => {
  const aare = new Aare({
    applicationContextName: 1,
    result: 1,
    resultSourceDiagnostic: { source: 'acse-service-user', value: 1 },
    userInformation: new ConfirmedServiceError({ service: 1, errorClass: 6, value: 1 }).encode(),
  });
  const bytes = h('61 1F A1 09 06 07 60 85 74 05 08 01 01 A2 03 02 01 01 A3 05 A1 03 02 01 01 BE 06 04 04 0E 01 06 01');
  assert.deepEqual(aare.encode(), bytes);
  const cse = decodeApdu(Aare.decode(bytes).userInformation!);
  assert.ok(cse instanceof ConfirmedServiceError);
  assert.equal(cse.description, 'INITIATE_ERROR: INITIATE 1');
});

test('plaintext InitiateRequest/Response of the ciphered association (docs/dlms.md#association-acse)', () => {
  const req = h('01 00 00 00 06 5F 1F 04 00 00 1E 1D FF FF');
  roundTrip(req, new InitiateRequest({ proposedConformance: CONFORMANCE_LN_DEFAULT, clientMaxReceivePduSize: 0xffff }));
  const resp = h('08 00 06 5F 1F 04 00 00 1E 1D FF FF 00 07');
  roundTrip(resp, new InitiateResponse({ negotiatedConformance: CONFORMANCE_LN_DEFAULT, serverMaxReceivePduSize: 0xffff }));
  assert.deepEqual(CONFORMANCE_LN_DEFAULT.flags, [
    'block-transfer-with-get', 'block-transfer-with-set', 'block-transfer-with-action', 'multiple-references', 'get', 'set', 'selective-access', 'action',
  ]);
  // Optional fields present: dedicated key, response-allowed false, QoS.
  const full = new InitiateRequest({ dedicatedKey: h('000102030405060708090A0B0C0D0E0F'), responseAllowed: false, proposedQualityOfService: 1, proposedConformance: Conformance.of('get'), clientMaxReceivePduSize: 512 });
  const bytes = h('01 01 10 000102030405060708090A0B0C0D0E0F 01 00 01 01 06 5F1F0400 000010 0200');
  roundTrip(bytes, full);
  assert.equal(Conformance.of('get', 'action').intersect(Conformance.of('get')).toString(), 'get');
});

// ---------------------------------------------------------------------------------------------------------------
// xDLMS service examples (docs/dlms.md#xdlms-services) and the worked example's plaintexts (docs/dlms.md#worked-example)

test('GET attribute 14 of class 72 and its enum response (docs/dlms.md#m-bus-client-class-72, #xdlms-services)', () => {
  roundTrip(h('C0 01 C1 00 48 00 01 18 01 00 FF 0E 00'), new GetRequestNormal({ attribute: attributeDescriptor(72, MBUS1, 14) }));
  roundTrip(h('C4 01 C1 00 16 04'), new GetResponseNormal({ result: { kind: 'data', data: Data.enum(4) } }));
  roundTrip(h('C4 01 C1 01 0C'), new GetResponseNormal({ result: { kind: 'error', result: 12 } }));
});

test('GET-with-list of attributes 5..9 and its response (docs/dlms.md#xdlms-services, #worked-example steps 5-6)', () => {
  const req = h('C0 03 C1 05 0048 0001180100FF 05 00 0048 0001180100FF 06 00 0048 0001180100FF 07 00 0048 0001180100FF 08 00 0048 0001180100FF 09 00');
  roundTrip(req, new GetRequestWithList({ attributes: [5, 6, 7, 8, 9].map((a) => ({ attribute: attributeDescriptor(72, MBUS1, a) })) }));
  const resp = h('C4 03 C1 05 00 11 09 00 06 00B7F89B 00 12 198F 00 11 50 00 11 03');
  roundTrip(resp, new GetResponseWithList({
    results: [Data.unsigned(9), Data.doubleLongUnsigned(0x00b7f89b), Data.longUnsigned(0x198f), Data.unsigned(0x50), Data.unsigned(3)].map((data) => ({ kind: 'data' as const, data })),
  }));
  const mixed = new GetResponseWithList({ results: [{ kind: 'error', result: 250 }, { kind: 'data', data: Data.nullData() }] });
  assert.deepEqual(mixed.encode(), h('C4 03 C1 02 01 FA 00 00'));
});

test('ACTION transfer_key and set_encryption_key with no return data (docs/dlms.md#worked-example steps 7-10)', () => {
  const blob = h('3297A900C4C359DC65F4F1750BFF448561D15ED98776D9AAAF4A11C2EBBE');
  roundTrip(
    h('C3 01 C1 0048 0001180100FF 08 01 09 1E 3297A900C4C359DC65F4F1750BFF448561D15ED98776D9AAAF4A11C2EBBE'),
    new ActionRequestNormal({ method: methodDescriptor(72, MBUS1, 8), parameters: Data.octetString(blob) }),
  );
  roundTrip(
    h('C3 01 C1 0048 0001180100FF 07 01 09 10 00112233445566778899AABBCCDDEEFF'),
    new ActionRequestNormal({ method: methodDescriptor(72, MBUS1, 7), parameters: Data.octetString('00112233445566778899AABBCCDDEEFF') }),
  );
  roundTrip(h('C7 01 C1 00 00'), new ActionResponseNormal({ result: 0 }));
  // without parameters (slave_install), and the return-parameters byte omitted by some meters
  roundTrip(h('C3 01 C1 0048 0001180100FF 01 00'), new ActionRequestNormal({ method: methodDescriptor(72, MBUS1, 1) }));
  assert.deepEqual(ActionResponseNormal.decode(h('C7 01 C1 FA')), new ActionResponseNormal({ result: 250 }));
});

test('ACTION reply_to_HLS_authentication with return data (docs/dlms.md#hls5-gmac)', () => {
  const req = h('C3 01 C1 00 0F 00 00 28 00 00 FF 01 01 09 11 10 00000002 C778F319EA43B3F21E06DF3F');
  roundTrip(req, new ActionRequestNormal({ method: methodDescriptor(15, '0-0:40.0.0.255', 1), parameters: Data.octetString('1000000002C778F319EA43B3F21E06DF3F') }));
  const resp = h('C7 01 C1 00 01 00 09 11 10 00000065 2B01EE9EA70DEEC4E1D7A412');
  const decoded = ActionResponseNormal.decode(resp);
  assert.equal(decoded.result, 0);
  assert.deepEqual(decoded.returnData, Data.octetString('10000000652B01EE9EA70DEEC4E1D7A412'));
  roundTrip(resp, decoded);
  roundTrip(h('C7 01 C1 00 01 01 0C'), new ActionResponseNormal({ result: 0, returnParameters: { kind: 'error', result: 12 } }));
});

test('SET primary_address := 9 and its response (docs/dlms.md#xdlms-services, constructed)', () => {
  roundTrip(h('C1 01 C1 00 48 00 01 18 01 00 FF 05 00 11 09'), new SetRequestNormal({ attribute: attributeDescriptor(72, MBUS1, 5), value: Data.unsigned(9) }));
  roundTrip(h('C5 01 C1 00'), new SetResponseNormal({ result: 0 }));
});

test('SET with list: two class-3 values in one request, one result per attribute (IEC 62056-5-3 Set-Request-With-List, constructed)', () => {
  // long-unsigned 1000 to 1-0:11.35.124.255 attr 2, double-long-unsigned 60 to 0-1:94.31.22.255 attr 2.
  const req = h('C1 04 C1 02 0003 01000B237CFF 02 00 0003 00015E1F16FF 02 00 02 12 03E8 06 0000003C');
  roundTrip(req, new SetRequestWithList({
    attributes: [{ attribute: attributeDescriptor(3, '1-0:11.35.124.255', 2) }, { attribute: attributeDescriptor(3, '0-1:94.31.22.255', 2) }],
    values: [Data.longUnsigned(1000), Data.doubleLongUnsigned(60)],
  }));
  roundTrip(h('C5 05 C1 02 00 03'), new SetResponseWithList({ results: [0, 3] }));
  assert.throws(() => decodeApdu(h('C1 04 C1 02 0003 01000B237CFF 02 00 0003 00015E1F16FF 02 00 01 12 03E8')), /2 attributes but 1 values/);
  assert.throws(() => decodeApdu(h('C5 05 C1 03 00 00')), /3 results declared/);
});

test('block transfer: get-response-with-datablock and get-request-next (docs/dlms.md#block-transfer, constructed)', () => {
  const raw = Buffer.alloc(200, 0x5a);
  roundTrip(Buffer.concat([h('C4 02 C1 00 00 00 00 01 00 81 C8'), raw]), new GetResponseWithDataBlock({ lastBlock: false, blockNumber: 1, result: { kind: 'raw', data: raw } }));
  roundTrip(h('C0 02 C1 00 00 00 01'), new GetRequestNext({ blockNumber: 1 }));
  roundTrip(h('C4 02 C1 01 00 00 00 02 00 02 AA BB'), new GetResponseWithDataBlock({ lastBlock: true, blockNumber: 2, result: { kind: 'raw', data: h('AABB') } }));
  roundTrip(h('C4 02 C1 01 00 00 00 02 01 0E'), new GetResponseWithDataBlock({ lastBlock: true, blockNumber: 2, result: { kind: 'error', result: 14 } }));
});

test('GET with selective access encodes selector and parameters', () => {
  const req = new GetRequestNormal({ invokeIdAndPriority: 0x42, attribute: attributeDescriptor(7, '1-0:99.1.0.255', 2), accessSelection: { selector: 2, parameters: Data.structure([Data.doubleLongUnsigned(1), Data.doubleLongUnsigned(10), Data.longUnsigned(1), Data.longUnsigned(0)]) } });
  roundTrip(h('C0 01 42 0007 0100630100FF 02 01 02 02 04 06 00000001 06 0000000A 12 0001 12 0000'), req);
});

test('exception-response D8 and confirmed-service-error 0E', () => {
  roundTrip(h('D8 01 02'), new ExceptionResponse({ stateError: 1, serviceError: 2 }));
  assert.equal(ExceptionResponse.decode(h('D8 01 02')).description, 'SERVICE_NOT_ALLOWED / SERVICE_NOT_SUPPORTED');
  roundTrip(h('D8 01 06 00 00 00 2A'), new ExceptionResponse({ stateError: 1, serviceError: 6, invocationCounter: 42 }));
  roundTrip(h('0E 01 06 02'), new ConfirmedServiceError({ service: 1, errorClass: 6, value: 2 }));
});

test('invoke-id-and-priority byte: 0xC1 and jDLMS 0x40 | id', () => {
  assert.deepEqual(decodeInvokeIdAndPriority(0xc1), { invokeId: 1, confirmed: true, highPriority: true });
  assert.deepEqual(decodeInvokeIdAndPriority(0x45), { invokeId: 5, confirmed: true, highPriority: false });
  assert.equal(encodeInvokeIdAndPriority({ invokeId: 1, confirmed: true, highPriority: true }), 0xc1);
  assert.equal(encodeInvokeIdAndPriority({ invokeId: 7, confirmed: true, highPriority: false }), 0x47);
  assert.throws(() => encodeInvokeIdAndPriority({ invokeId: 16, confirmed: true, highPriority: false }), (e: unknown) => isMeterfabricError(e) && e.code === 1001);
});

test('ciphered APDU containers: glo-ciphered (docs/dlms.md#ciphering) and general-glo-ciphering', () => {
  const wire = h('C8 1E 30 00000007 1024F50A454A94AD83E3154506 60CF506324086D4B0018010A');
  const glo = decodeApdu(wire);
  assert.ok(glo instanceof GloCipheredApdu);
  assert.equal(glo.tag, 0xc8);
  assert.equal(glo.securityControl, 0x30);
  assert.equal(glo.invocationCounter, 7);
  assert.deepEqual(glo.content, h('1024F50A454A94AD83E3154506 60CF506324086D4B0018010A'));
  assert.deepEqual(glo.encode(), wire);
  const general = new GeneralGloCiphering({ systemTitle: h('4B464D1020000001'), securityControl: 0x30, invocationCounter: 1, content: h('AABB') });
  const bytes = h('DB 08 4B464D1020000001 07 30 00000001 AABB');
  assert.deepEqual(general.encode(), bytes);
  assert.deepEqual(decodeApdu(bytes), general);
});

test('decoders name what is wrong: truncation, trailing bytes, unknown tags and choices', () => {
  assert.throws(() => decodeApdu(h('C0 01 C1 00 01 00 00 2B 01')), isDecodeError(/get-request-normal: instance id needs 6 byte/));
  assert.throws(() => decodeApdu(h('C4 01 C1 00 16 04 00')), isDecodeError(/get-response-normal: 1 unexpected trailing byte/));
  assert.throws(() => decodeApdu(h('C4 07 C1')), isDecodeError(/get-response: unsupported choice 7/));
  assert.throws(() => decodeApdu(h('C4')), isDecodeError(/no service choice/));
  assert.throws(() => decodeApdu(h('FF 00')), isDecodeError(/unknown APDU tag 0xff/));
  assert.throws(() => decodeApdu(h('D0 00')), isDecodeError(/dedicated-key/));
  assert.throws(() => decodeApdu(Buffer.alloc(0)), isDecodeError(/empty APDU/));
  assert.throws(() => decodeApdu(h('C8 04 30 00 00 00')), isDecodeError(/length 4 cannot hold/));
  assert.throws(() => decodeApdu(h('C8 20 30 00000007 00')), isDecodeError(/ciphered content needs 32 byte/));
  assert.throws(() => decodeApdu(h('C0 03 C1 84 10000000')), isDecodeError(/268435456 attributes declared/));
  assert.throws(() => decodeApdu(h('C3 01 C1 0048 0001180100FF 08 02')), isDecodeError(/presence byte must be 00 or 01/));
  assert.throws(() => decodeApdu(h('61 05 A2 03 02 01 00')), isDecodeError(/application-context-name missing/));
  assert.throws(() => decodeApdu(h('61 0B A1 09 06 07 60 85 74 05 08 01 01')), isDecodeError(/result missing/));
  assert.throws(() => decodeApdu(h('60 0B A1 09 06 07 2B 85 74 05 08 01 01')), isDecodeError(/not a DLMS UA name/));
  assert.throws(() => decodeApdu(h('60 0C A1 09 06 07 60 85 74 05 08 01 01')), isDecodeError(/AARQ needs 12 byte/));
  assert.throws(() => decodeApdu(h('60 0A A1 09 06 07 60 85 74 05 08 01 01')), isDecodeError(/length 10 does not match the 11 byte/));
  assert.throws(() => decodeApdu(h('60 80 00 00')), isDecodeError(/indefinite/));
});

test('wrapper payload sizes of docs/dlms.md#wrapper: ciphered AARQ is 95 bytes, public AARQ 31 bytes', () => {
  assert.equal(CIPHERED_AARQ.length, 0x5f);
  assert.equal(PUBLIC_AARQ.length, 0x1f);
});

test('DSMR 4.2.2 variant of docs/dlms.md#worked-example: BCD identification in the response and the 16-byte transfer_key in step 7', () => {
  const resp = GetResponseWithList.decode(h('C4 03 C1 05 00 11 09 00 06 12 05 67 31 00 12 198F 00 11 50 00 11 03'));
  assert.deepEqual(resp.results[1], { kind: 'data', data: Data.doubleLongUnsigned(0x12056731) });
  roundTrip(
    h('C3 01 C1 0048 0001180100FF 08 01 09 10 F59D7CBF08FC47375511E6D9EECB6804'),
    new ActionRequestNormal({ method: methodDescriptor(72, MBUS1, 8), parameters: Data.octetString('F59D7CBF08FC47375511E6D9EECB6804') }),
  );
  // one attribute per request when with-list is not allowed
  roundTrip(h('C0 01 C1 0048 0001180100FF 06 00'), new GetRequestNormal({ attribute: attributeDescriptor(72, MBUS1, 6) }));
  roundTrip(h('C4 01 C1 00 06 12 05 67 31'), new GetResponseNormal({ result: { kind: 'data', data: Data.doubleLongUnsigned(0x12056731) } }));
});

test('slave_deinstall parameters of docs/dlms.md#m-bus-client-class-72: integer(0) 0F 00, retried as unsigned(0) 11 00', () => {
  roundTrip(h('C3 01 C1 0048 0001180100FF 02 01 0F 00'), new ActionRequestNormal({ method: methodDescriptor(72, MBUS1, 2), parameters: Data.integer(0) }));
  roundTrip(h('C3 01 C1 0048 0001180100FF 02 01 11 00'), new ActionRequestNormal({ method: methodDescriptor(72, MBUS1, 2), parameters: Data.unsigned(0) }));
  roundTrip(h('C7 01 C1 0C 00'), new ActionResponseNormal({ result: 12 }));
});

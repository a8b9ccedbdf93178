/**
 * The Bundle operation over the catalogue: GXF's 45 action elements, their typed responses, that every bundleable
 * catalogue operation can be read from its action element, and execute() against fake ports (one link, request
 * order, per-action faults, a retry that skips what was done).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XmlDocument } from 'libxml2-wasm';
import { DEVICE_OPERATIONS } from '../../src/operations/catalogue.ts';
import { HANDLE_BUNDLED_ACTIONS, type BundleResult } from '../../src/operations/bundle/bundle.ts';
import { actionDataType, BUNDLE_ACTIONS, bundleResponseElement, elementParticles, typeParticles } from '../../src/operations/bundle/schema.ts';
import { SERVICE_NAMESPACE } from '../../src/api/soap/operations.ts';
import { ErrorCode, MeterfabricError } from '../../src/errors.ts';
import { context, fakePorts } from './fake-ports.ts';

const bundle = DEVICE_OPERATIONS.find((o) => o.messageType === HANDLE_BUNDLED_ACTIONS)!;
const GW = 'E0051004000000117';

test('GXF\'s bundle schema has 45 actions; 25 have a typed response, the others answer ActionResponse', () => {
  assert.equal(BUNDLE_ACTIONS.length, 45);
  assert.equal(new Set(BUNDLE_ACTIONS).size, 45);
  const typed = Object.fromEntries(BUNDLE_ACTIONS.map((a) => [a, bundleResponseElement(a)]).filter(([, r]) => r !== 'ActionResponse'));
  assert.equal(Object.keys(typed).length, 25);
  assert.equal(typed.GetActualMeterReadsRequest, 'ActualMeterReadsResponse');
  assert.equal(typed.GetAssociationLnObjectsRequest, 'AssociationLnObjectsResponse');
  assert.equal(typed.GetMbusEncryptionKeyStatusByChannelRequest, 'GetMbusEncryptionKeyStatusByChannelResponse');
  assert.equal(typed.FindEventsRequest, 'FindEventsResponse');
  assert.equal(typed.GetActualPowerQualityRequest, 'ActualPowerQualityResponse');
  assert.equal(bundleResponseElement('SynchronizeTimeRequest'), 'ActionResponse');
  assert.equal(bundleResponseElement('SetKeysRequest'), 'ActionResponse');
});

test('every bundleable catalogue operation names one action, and its request element can be made from that action', () => {
  const seen = new Set<string>();
  for (const op of DEVICE_OPERATIONS) {
    if (!op.bundleAction) continue;
    assert.ok(BUNDLE_ACTIONS.includes(op.bundleAction), op.bundleAction);
    assert.ok(!seen.has(op.bundleAction), `${op.bundleAction} is declared once`);
    seen.add(op.bundleAction);
    // What the bundle fills in (src/operations/bundle/bundle.ts readAction): the device, the data wrapper of the
    // action's type, or a field the action carries under the same name. A required part of the request that is
    // none of these needs its own mapping. A field of the same simple type under another name stands in for it
    // (SetAdministrativeStatus: AdministrativeStatusType for Enabled).
    const data = actionDataType(op.bundleAction)!;
    const fields = new Set(typeParticles(data).map((p) => p.name));
    const types = new Set(typeParticles(data).flatMap((p) => (p.type ? [`${p.type.ns} ${p.type.name}`] : [])));
    for (const p of elementParticles(SERVICE_NAMESPACE[op.service], op.soap.request)) {
      const fillable = p.optional || p.name === 'DeviceIdentification' || p.name === 'GatewayDeviceIdentification' ||
        (p.type?.ns === data.ns && p.type.name === data.name) || fields.has(p.name) || (p.type !== undefined && types.has(`${p.type.ns} ${p.type.name}`));
      assert.ok(fillable, `${op.soap.request}/${p.name} cannot be made from ${op.bundleAction}`);
    }
  }
  assert.ok(seen.has('GetActualMeterReadsRequest') && seen.has('SynchronizeTimeRequest') && seen.has('GetAssociationLnObjectsRequest'));
});

test('a BundleRequest is read into the catalogue operations\' payloads; unknown actions are kept for their fault', () => {
  const doc = XmlDocument.fromString(`<b:BundleRequest xmlns:b="http://www.opensmartgridplatform.org/schemas/smartmetering/sm-bundle/2014/10"
      xmlns:adhoc="http://www.opensmartgridplatform.org/schemas/smartmetering/sm-adhoc/2014/10"
      xmlns:conf="http://www.opensmartgridplatform.org/schemas/smartmetering/sm-configuration/2014/10">
    <b:DeviceIdentification>${GW}</b:DeviceIdentification><b:Actions>
      <b:SynchronizeTimeRequest><adhoc:TimeZone>Europe/Amsterdam</adhoc:TimeZone></b:SynchronizeTimeRequest>
      <b:GetOutagesRequest/>
      <b:SetMbusUserKeyByChannelRequest><conf:Channel>2</conf:Channel></b:SetMbusUserKeyByChannelRequest>
      <b:GetMbusEncryptionKeyStatusRequest><conf:MbusDeviceIdentification>G0051004000000118</conf:MbusDeviceIdentification></b:GetMbusEncryptionKeyStatusRequest>
      <b:SynchronizeTimeRequest><adhoc:TimeZone>Mars/Olympus</adhoc:TimeZone></b:SynchronizeTimeRequest>
    </b:Actions></b:BundleRequest>`);
  try {
    const { deviceIdentification, payload } = bundle.soap.read(doc.root);
    assert.equal(deviceIdentification, GW);
    const actions = (payload as { actions: unknown[] }).actions;
    assert.deepEqual(actions.slice(0, 4), [
      { action: 'SynchronizeTimeRequest', messageType: 'SYNCHRONIZE_TIME', deviceIdentification: GW, payload: { timeZone: 'Europe/Amsterdam' } },
      { action: 'GetOutagesRequest', messageType: null, deviceIdentification: GW },
      { action: 'SetMbusUserKeyByChannelRequest', messageType: 'SET_MBUS_USER_KEY_BY_CHANNEL', deviceIdentification: GW, payload: { channel: 2 } },
      { action: 'GetMbusEncryptionKeyStatusRequest', messageType: 'GET_MBUS_ENCRYPTION_KEY_STATUS', deviceIdentification: 'G0051004000000118', payload: {} },
    ]);
    const refused = actions[4] as { refused?: { code: number; message: string } };
    assert.equal(refused.refused?.code, ErrorCode.VALIDATION_ERROR);
    assert.match(refused.refused!.message, /Mars\/Olympus/);
  } finally {
    doc.dispose();
  }
});

const actions = {
  sync: { action: 'SynchronizeTimeRequest', messageType: 'SYNCHRONIZE_TIME', deviceIdentification: GW, payload: { timeZone: 'UTC' } },
  outages: { action: 'GetOutagesRequest', messageType: null, deviceIdentification: GW },
  objects: { action: 'GetAssociationLnObjectsRequest', messageType: 'GET_ASSOCIATION_LN_OBJECTS', deviceIdentification: GW, payload: {} },
};

test('execute: one link for every action, in request order; an unimplemented or failing action gets its own fault', async () => {
  let clockFails = true;
  const { ports, rec } = fakePorts({
    setClock: async () => {
      if (clockFails) throw new MeterfabricError(ErrorCode.DATA_ACCESS_RESULT, 'the meter refused the clock', { retryable: false });
    },
  });
  const r = await bundle.execute(ports, { actions: [actions.objects, actions.sync, actions.outages, actions.objects] }, { ...context(HANDLE_BUNDLED_ACTIONS, GW), correlationUid: 'b1' }) as BundleResult;
  assert.deepEqual(r.responses.map((o) => [o.action, o.result, o.fault?.code]), [
    ['GetAssociationLnObjectsRequest', 'OK', undefined],
    ['SynchronizeTimeRequest', 'NOT_OK', ErrorCode.DATA_ACCESS_RESULT],
    ['GetOutagesRequest', 'NOT_OK', ErrorCode.UNSUPPORTED_DEVICE_ACTION],
    ['GetAssociationLnObjectsRequest', 'OK', undefined],
  ]);
  assert.deepEqual(rec.calls.filter((c) => c !== 'setTimezone UTC'), [`open ${GW}`, 'readObjectList', 'setClock', 'readObjectList', 'release']);
  clockFails = false;
});

test('execute: a connection error stops the bundle; the next attempt runs only the actions not done', async () => {
  let drops = 1;
  const { ports, rec } = fakePorts({
    setClock: async () => {
      if (drops-- > 0) throw new MeterfabricError(ErrorCode.CONNECTION_RESET, 'connection reset');
    },
  });
  const ctx = { ...context(HANDLE_BUNDLED_ACTIONS, GW), correlationUid: 'b2' };
  const payload = { actions: [actions.objects, actions.sync, actions.objects] };
  await assert.rejects(bundle.execute(ports, payload, ctx), (e: unknown) => e instanceof MeterfabricError && e.code === ErrorCode.CONNECTION_RESET && e.retryable);
  assert.deepEqual(rec.calls.filter((c) => !c.startsWith('setTimezone')), [`open ${GW}`, 'readObjectList', 'setClock', 'release']);
  rec.calls.length = 0;
  const r = await bundle.execute(ports, payload, { ...ctx, attempt: 2 }) as BundleResult;
  assert.deepEqual(r.responses.map((o) => o.result), ['OK', 'OK', 'OK']);
  assert.deepEqual(rec.calls.filter((c) => !c.startsWith('setTimezone')), [`open ${GW}`, 'setClock', 'readObjectList', 'release'], 'the first action is not run again');
});

test('execute: a bundle for a gas meter is refused with 401', async () => {
  const { ports } = fakePorts({ mbusDevices: [{ deviceIdentification: 'G0051004000000118' }] });
  await assert.rejects(
    bundle.execute(ports, { actions: [actions.sync] }, { ...context(HANDLE_BUNDLED_ACTIONS, 'G0051004000000118'), correlationUid: 'b3' }),
    (e: unknown) => e instanceof MeterfabricError && e.code === ErrorCode.VALIDATION_ERROR,
  );
});

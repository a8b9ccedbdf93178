/** Traces: one SetMbusUserKeyByChannel gives an execute span keyed by correlation id with its DLMS spans below. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTracing, stopTracing, inSpan, currentTraceParent, contextFromTraceParent, CORRELATION_UID } from '../../src/observability/tracing.ts';
import { startHeadend } from '../support/headend.ts';

test('a request is one trace from its acceptance through the queue and the DLMS association to each meter operation', async () => {
  const exporter = new InMemorySpanExporter();
  assert.equal(await startTracing({ exporter }), true);
  const h = await startHeadend('pglite');
  try {
    await h.addOrganisation('trace-org');
    await h.addGateway('E0000000000000011', 'trace-org');
    await h.addGMeter('G0000000000000011', 'trace-org');
    const { correlationUid } = await h.platform.requests.submit({
      organisationIdentification: 'trace-org', userName: 'u', applicationName: 'a', deviceIdentification: 'E0000000000000011',
      messageType: 'SET_MBUS_USER_KEY_BY_CHANNEL', payload: { channel: 1 }, channel: 'REST',
    });
    assert.equal((await h.platform.requests.waitForResponse(correlationUid, 'trace-org', 20_000)).result, 'OK');
    const spans = exporter.getFinishedSpans();
    const exec = spans.find((s) => s.name === 'execute SET_MBUS_USER_KEY_BY_CHANNEL');
    assert.ok(exec, spans.map((s) => s.name).join(', '));
    assert.equal(exec.attributes[CORRELATION_UID], correlationUid);
    const traceId = exec.spanContext().traceId;
    const accept = spans.find((s) => s.name === 'accept SET_MBUS_USER_KEY_BY_CHANNEL');
    assert.ok(accept, 'the acceptance is a span');
    assert.equal(accept.attributes[CORRELATION_UID], correlationUid);
    assert.equal(accept.spanContext().traceId, traceId, 'the execution continues the trace that accepted the request');
    assert.equal(exec.parentSpanId, accept.spanContext().spanId);
    const below = spans.filter((s) => s.spanContext().traceId === traceId).map((s) => s.name);
    for (const name of ['dlms.associate', 'dlms.readChannel', 'dlms.transferKey', 'dlms.setEncryptionKey']) assert.ok(below.includes(name), `${name} in ${below.join(', ')}`);
    const key = (await h.secrets.getActive('G0000000000000011', 'G_METER_ENCRYPTION_KEY'))!.key.toString('hex');
    assert.ok(!JSON.stringify(spans.map((s) => s.attributes)).toLowerCase().includes(key), 'no key material in span attributes');
  } finally {
    await h.stop();
    await stopTracing();
  }
});

test('a traceparent carries a trace across the queue', async () => {
  const exporter = new InMemorySpanExporter();
  await startTracing({ exporter });
  try {
    let carried: string | undefined;
    await inSpan('accept', {}, async () => {
      carried = currentTraceParent();
    });
    assert.match(carried!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    await inSpan('execute', {}, async () => undefined, contextFromTraceParent(carried));
    const [accept, execute] = exporter.getFinishedSpans();
    assert.equal(execute!.spanContext().traceId, accept!.spanContext().traceId);
    assert.equal(execute!.parentSpanId, accept!.spanContext().spanId);
  } finally {
    await stopTracing();
  }
});

test('the API side of a request is a span tagged with the same correlation uid', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { startHeadend: startRuntime } = await import('../../src/runtime/headend.ts');
  const { SoftwareKekProvider } = await import('../../src/secrets/kek.ts');
  const { addDevice, addOrganisation } = await import('../../src/platform/inventory.ts');
  const { freshDb } = await import('../support/db.ts');
  const exporter = new InMemorySpanExporter();
  await startTracing({ exporter });
  const dataDir = mkdtempSync(join(tmpdir(), 'meterfabric-trace-'));
  const { db, dispose } = await freshDb('pglite');
  const h = await startRuntime({ dataDir, db, kek: SoftwareKekProvider.generate(), clientKeyBits: 1024, http: { host: '127.0.0.1', port: 0 }, push: false, workers: false });
  try {
    await addOrganisation(db, { identification: 'api-org' });
    await addDevice(db, { deviceIdentification: 'E0000000000000031', deviceType: 'SMART_METER_E', protocolName: 'SMR', protocolVersion: '5.5', ownerOrganisationIdentification: 'api-org' });
    const { issueApiToken } = await import('../../src/platform/tokens.ts');
    const { token } = await issueApiToken(db, 'api-org');
    const res = await fetch(`${h.url}/api/v1/devices/E0000000000000031/mbus/scan`, { method: 'POST', headers: { 'X-Organisation-Identification': 'api-org', authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    assert.equal(res.status, 202);
    const { correlationUid } = (await res.json()) as { correlationUid: string };
    // The server span ends just after the answer was sent: wait for it (bounded), do not guess a pause.
    const find = () => exporter.getFinishedSpans().find((s) => s.name === 'HTTP POST' && s.attributes[CORRELATION_UID] === correlationUid);
    for (let i = 0; i < 200 && !find(); i++) await new Promise((r) => setTimeout(r, 10));
    const span = find();
    assert.ok(span, exporter.getFinishedSpans().map((s) => `${s.name} ${JSON.stringify(s.attributes)}`).join('\n'));
  } finally {
    await h.stop();
    await dispose();
    rmSync(dataDir, { recursive: true, force: true });
    await stopTracing();
  }
});

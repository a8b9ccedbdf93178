/** Traces: one SetMbusUserKeyByChannel gives an execute span keyed by correlation id with its DLMS spans below. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTracing, stopTracing, inSpan, currentTraceParent, contextFromTraceParent, CORRELATION_UID } from '../../src/observability/tracing.ts';
import { startHeadend } from '../support/headend.ts';

test('a request is traced from execution through the DLMS association to each meter operation', async () => {
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

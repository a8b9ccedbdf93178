/**
 * OpenTelemetry traces. Every span of a device request carries the attribute `meterfabric.correlation_uid`, from
 * the API through the queue to the DLMS session, so one correlation id finds the whole story. Spans are exported
 * over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; otherwise the
 * API's no-op tracer costs next to nothing. Tests install an in-memory exporter.
 */
import { trace, context, propagation, SpanStatusCode, type Span, type Attributes, type Context } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Resource } from '@opentelemetry/resources';
import { isMeterfabricError } from '../errors.ts';

export const CORRELATION_UID = 'meterfabric.correlation_uid';

let provider: BasicTracerProvider | undefined;

/** Installs the trace provider once per process. Returns false when tracing stays off. */
export async function startTracing(options: { exporter?: SpanExporter; env?: NodeJS.ProcessEnv } = {}): Promise<boolean> {
  if (provider) return true;
  const env = options.env ?? process.env;
  let exporter = options.exporter;
  if (!exporter && (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    exporter = new OTLPTraceExporter();
  }
  if (!exporter) return false;
  provider = new BasicTracerProvider({
    resource: new Resource({ 'service.name': env.OTEL_SERVICE_NAME ?? 'meterfabric' }),
    spanProcessors: [options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return true;
}

export async function stopTracing(): Promise<void> {
  const p = provider;
  provider = undefined;
  if (!p) return;
  await p.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
}

export const tracer = () => trace.getTracer('meterfabric');

/** Runs fn in a span; records a thrown error (code and message, never key material) and ends the span. */
export async function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, parent?: Context): Promise<T> {
  const run = (span: Span) =>
    fn(span).then(
      (v) => {
        span.end();
        return v;
      },
      (e: unknown) => {
        span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
        if (isMeterfabricError(e)) span.setAttribute('meterfabric.error_code', e.code);
        span.end();
        throw e;
      },
    );
  return parent ? tracer().startActiveSpan(name, { attributes }, parent, run) : tracer().startActiveSpan(name, { attributes }, run);
}

/** The W3C traceparent of the active span, to carry a trace across the queue. */
export function currentTraceParent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** A context whose parent is the given traceparent (or the active one). */
export function contextFromTraceParent(traceparent: string | undefined | null): Context {
  return traceparent ? propagation.extract(context.active(), { traceparent }) : context.active();
}

/**
 * HTTP server spans for a fastify app: one span per request, tagged with the correlation uid of the request it
 * accepted or answered (read from the reply: REST JSON or a SOAP CorrelationUid element), so the API side of a
 * request is found by the same key as its execution.
 */
export function traceHttp(app: { addHook: (name: string, fn: (...args: any[]) => any) => unknown }): void {
  const spans = new WeakMap<object, Span>();
  const CORRELATION = /(?:"correlationUid"\s*:\s*"|CorrelationUid>)([^"<]{20,})/;
  app.addHook('onRequest', async (request: { method: string; url: string; raw: object }) => {
    spans.set(request.raw, tracer().startSpan(`HTTP ${request.method}`, { attributes: { 'http.method': request.method, 'http.target': request.url.split('?')[0] } }));
  });
  app.addHook('onSend', async (request: { raw: object }, _reply: unknown, payload: unknown) => {
    const span = spans.get(request.raw);
    if (span && typeof payload === 'string') {
      const m = CORRELATION.exec(payload);
      if (m) span.setAttribute(CORRELATION_UID, m[1]!);
    }
    return payload;
  });
  app.addHook('onResponse', async (request: { raw: object }, reply: { statusCode: number }) => {
    const span = spans.get(request.raw);
    if (!span) return;
    span.setAttribute('http.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
}

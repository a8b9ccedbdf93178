/**
 * Prometheus metrics (prom-client), one registry for the process, served at /metrics.
 * Names follow Prometheus conventions: meterfabric_<what>_<unit>.
 */
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
let defaultsCollected = false;

export function enableDefaultMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics({ register: registry, prefix: 'meterfabric_' });
}

export const metrics = {
  requestsAccepted: new Counter({
    name: 'meterfabric_requests_accepted_total',
    help: 'Device requests accepted, by operation and API channel',
    labelNames: ['operation', 'channel'] as const,
    registers: [registry],
  }),
  requestsCompleted: new Counter({
    name: 'meterfabric_requests_completed_total',
    help: 'Device requests that reached a final result, by operation and result',
    labelNames: ['operation', 'result'] as const,
    registers: [registry],
  }),
  requestErrors: new Counter({
    name: 'meterfabric_request_errors_total',
    help: 'Errors of device request attempts, by GXF/meterfabric error code',
    labelNames: ['operation', 'code'] as const,
    registers: [registry],
  }),
  queueDepth: new Gauge({
    name: 'meterfabric_queue_depth',
    help: 'Requests accepted and not yet final',
    registers: [registry],
  }),
  openMeterConnections: new Gauge({
    name: 'meterfabric_meter_connections_open',
    help: 'Open TCP connections to meters',
    registers: [registry],
  }),
  meterRoundTrip: new Histogram({
    name: 'meterfabric_meter_round_trip_seconds',
    help: 'Time from sending an APDU to a meter until its answer',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  }),
  pushesReceived: new Counter({
    name: 'meterfabric_pushes_received_total',
    help: 'DLMS push notifications received, by transport and outcome',
    labelNames: ['transport', 'outcome'] as const,
    registers: [registry],
  }),
};

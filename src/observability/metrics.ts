/**
 * Prometheus metrics (prom-client), one registry for the process, served at /metrics.
 * Names follow Prometheus conventions: meterfabric_<what>_<unit>.
 */
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';

// Request counts live in the database (every API and worker process shares them); src/runtime/request-metrics.ts
// exposes them as gauges read at scrape time. What only one process sees is counted here.

export const registry = new Registry();
let defaultsCollected = false;

export function enableDefaultMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics({ register: registry, prefix: 'meterfabric_' });
}

export const metrics = {
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

/**
 * The simulated gateways of bench/scale.ts, in their own process: N SMR 5 gateways on loopback, each with one G-meter
 * (its own M-Bus identification) on channel 1, answering every APDU after `--rtt` ms (the emulated round trip).
 * Prints one JSON line {"ports":[...]} when all listen; SIGTERM stops them. On SIGUSR2 and on stop it prints
 * {"acceptedConnections":n}: the connections the gateways accepted so far (one association each).
 */
import { SimulatedMeter } from '../src/simulator/simulator.ts';
import { testGMeter } from '../src/simulator/meter.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const n = arg('n', 10);
const rtt = arg('rtt', 500);
const meters: SimulatedMeter[] = [];
for (let i = 0; i < n; i++) {
  const g = { ...testGMeter(), identification: String(20_000_000 + i) };
  meters.push(await SimulatedMeter.start({ port: 0, profile: 'smr5', framing: 'wrapper', channels: [g, undefined, undefined, undefined], faults: { latencyMs: rtt } }));
}
process.stdout.write(JSON.stringify({ ports: meters.map((m) => m.port) }) + '\n');
// The connections (one association each) the gateways accepted so far, for benchmarks that count them.
const count = () => process.stdout.write(JSON.stringify({ acceptedConnections: meters.reduce((n, m) => n + m.acceptedConnections, 0) }) + '\n');
process.on('SIGUSR2', count);
process.on('SIGTERM', async () => {
  count();
  await Promise.all(meters.map((m) => m.close()));
  process.exit(0);
});

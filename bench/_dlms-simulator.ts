/**
 * Simulator side of bench/dlms-keyexchange.ts in its own process: starts a fleet, prints the ports as one JSON
 * line, and on "cpu" from stdin prints the CPU time it used since then; "stop" closes the fleet.
 */
import { createInterface } from 'node:readline';
import { Fleet } from '../src/simulator/simulator.ts';
import type { FramingKind } from '../src/transport/transport.ts';

const [count, framing, profile] = [Number(process.argv[2]), process.argv[3] as FramingKind, process.argv[4] as 'smr5' | 'dsmr4'];
const fleet = await Fleet.start({ basePort: 0, count, framing, profile });
let mark = process.cpuUsage();
console.log(JSON.stringify({ ports: fleet.meters.map((m) => m.port) }));
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'mark') {
    mark = process.cpuUsage();
    console.log(JSON.stringify({ marked: true }));
  } else if (line === 'cpu') {
    const c = process.cpuUsage(mark);
    console.log(JSON.stringify({ cpuUs: c.user + c.system }));
  } else if (line === 'stop') {
    break;
  }
}
await fleet.close();
process.exit(0);

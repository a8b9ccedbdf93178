/**
 * Server side of bench/dlms-keyexchange.ts in its own process: starts a fleet (or, with framing "echo", plain TCP
 * echo servers for the loopback floor), prints the ports as one JSON line, and on "cpu" from stdin prints the CPU
 * time it used since the last "mark"; "stop" closes everything.
 */
import { echoServers } from './_echo-servers.ts';
import { createInterface } from 'node:readline';
import { Fleet } from '../src/simulator/simulator.ts';
import type { FramingKind } from '../src/transport/transport.ts';

const [count, framing, profile] = [Number(process.argv[2]), process.argv[3] as FramingKind | 'echo', process.argv[4] as 'smr5' | 'dsmr4'];

const target = framing === 'echo' ? await echoServers(count) : await Fleet.start({ basePort: 0, count, framing, profile });
const ports = 'meters' in target ? target.meters.map((m) => m.port) : target.ports;
let mark = process.cpuUsage();
console.log(JSON.stringify({ ports }));
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
await target.close();
process.exit(0);

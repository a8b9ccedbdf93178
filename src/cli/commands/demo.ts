/**
 * `meterfabric demo` (what `npm start` runs): the platform on the embedded database with a fleet of simulated
 * gateway E-meters and gas meters, a demo organisation, and one SetMbusUserKeyByChannel per gateway to watch.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { untilSignal } from './serve.ts';

export function register(program: Command): void {
  program
    .command('demo')
    .description('start the platform on the embedded database with simulated meters and a demo organisation (npm start)')
    .option('--host <host>', 'HTTP address', '127.0.0.1')
    .option('--port <port>', 'HTTP port (SOAP, REST, console, metrics)', (v) => Number(v), 8080)
    .option('--push-port <port>', 'DLMS push listener port (TCP and UDP); 0 = none', (v) => Number(v), 9598)
    .option('--meters <n>', 'number of simulated gateways', (v) => Number(v), 6)
    .option('--sim-base-port <port>', 'first simulated gateway port (the others follow)', (v) => Number(v), 4100)
    .option('--data <dir>', 'data folder (embedded database, KEK file, simulator state)', './.meterfabric/demo')
    .option('--no-exercise', 'do not run the start-up SetMbusUserKeyByChannel round')
    .action(async (o: { host: string; port: number; pushPort: number; meters: number; simBasePort: number; data: string; exercise: boolean }) => {
      const { startDemo, DEMO_ORGANISATION } = await import('../../runtime/demo.ts');
      const dataDir = resolve(o.data);
      console.log(`meterfabric demo: data in ${dataDir}`);
      const demo = await startDemo({ dataDir, host: o.host, port: o.port, pushPort: o.pushPort || false, meters: o.meters, simBasePort: o.simBasePort, exercise: o.exercise });
      const url = demo.headend.url!;
      const soap = `${url}/osgp-adapter-ws-smartmetering/smartMetering`;
      console.log('');
      console.log(`meterfabric is running (${demo.headend.where}).`);
      console.log(`  SOAP (GXF)     ${soap}/configurationService/   WSDL: ${soap}/configurationService/?wsdl`);
      console.log(`                 also installationService/, adhocService/, commonService/`);
      console.log(`  REST           ${url}/api/v1/   OpenAPI: ${url}/openapi.json`);
      console.log(`  console        ${demo.signInUrl}`);
      console.log(`                 (a one-time sign-in link for ${DEMO_ORGANISATION}; afterwards sign in at ${url}/console/ with the token)`);
      console.log(`  metrics        ${url}/metrics   health: ${url}/health`);
      if (o.pushPort) console.log(`  DLMS pushes    tcp+udp 127.0.0.1:${o.pushPort}`);
      console.log(`  organisation   ${DEMO_ORGANISATION} (OWNER of every demo device); its API token is in ${demo.tokenPath}`);
      console.log(`  admin token    ${demo.headend.adminTokenPath} (built-in ADMIN organisation OSGP; CLI: --data ${o.data})`);
      console.log('  simulated gateways:');
      for (const g of demo.gateways) console.log(`    ${g.deviceIdentification}  ${g.protocol.padEnd(10)} ${g.framing.padEnd(7)} 127.0.0.1:${g.port}  gas meter ${g.gasMeter} on channel 1`);
      const first = demo.gateways[0];
      if (first) {
        console.log('');
        console.log('Try it (README "Walk-through"):');
        console.log(`  TOKEN=${demo.token}`);
        console.log(`  curl -s -X POST ${url}/api/v1/devices/${first.deviceIdentification}/mbus/channels/1/user-key -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json'`);
      }
      console.log('Stop with Ctrl-C.');
      await untilSignal();
      await demo.stop();
    });
}

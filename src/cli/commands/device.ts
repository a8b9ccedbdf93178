/** `meterfabric device …`: devices and authorisations, through the REST admin API of a running platform. */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { addClientOptions, adminCall, printTable, type ClientOptions } from '../admin-client.ts';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`not an integer: ${v}`);
  return n;
};

/** An M-Bus channel of a gateway: 1..4 (checked here, before anything is sent). */
export const channel = (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < 1 || n > 4) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `an M-Bus channel is 1..4, got ${v}`, { component: 'SHARED' });
  return n;
};

export function register(program: Command): void {
  const device = program.command('device').description('manage devices (talks to a running platform)');

  addClientOptions(device.command('add <id>'))
    .description('add a gateway E-meter (--type E) or an M-Bus G-meter (--type G)')
    .requiredOption('--type <E|G>', 'E = SMART_METER_E, G = SMART_METER_G')
    .option('--protocol <name>', 'DSMR or SMR')
    .option('--protocol-version <v>', '2.2 or 4.2.2 (DSMR); 4.3, 5.0.0, 5.1, 5.2 or 5.5 (SMR)')
    .option('--host <host>', 'network address of an E-meter')
    .option('--port <port>', 'TCP port', int)
    .option('--transport <t>', 'WRAPPER or HDLC')
    .option('--challenge-length <n>', 'HLS challenge length', int)
    .option('--with-list-max <n>', 'most attributes in one get-with-list', int)
    .option('--mbus-id <digits>', 'M-Bus identification number (8 digits)')
    .option('--mbus-manufacturer <XYZ>', 'M-Bus manufacturer identification')
    .option('--mbus-version <n>', 'M-Bus version', int)
    .option('--mbus-device-type <n>', 'M-Bus device type', int)
    .option('--gateway <id>', 'the E-meter this M-Bus device is coupled to')
    .option('--channel <n>', 'M-Bus channel 1..4 on the gateway', channel)
    .option('--owner <org>', 'owning organisation (default: the caller)')
    .action(async (id: string, o: ClientOptions & Record<string, any>) => {
      const body: Record<string, unknown> = {
        deviceIdentification: id,
        deviceType: o.type === 'G' || o.type === 'SMART_METER_G' ? 'SMART_METER_G' : 'SMART_METER_E',
      };
      const map: Record<string, string> = {
        protocol: 'protocolName', protocolVersion: 'protocolVersion', host: 'host', port: 'port', transport: 'transport',
        challengeLength: 'challengeLength', withListMax: 'withListMax', mbusId: 'mbusIdentificationNumber',
        mbusManufacturer: 'mbusManufacturerIdentification', mbusVersion: 'mbusVersion', mbusDeviceType: 'mbusDeviceTypeIdentification',
        gateway: 'gatewayDeviceIdentification', channel: 'channel', owner: 'ownerOrganisationIdentification',
      };
      for (const [opt, field] of Object.entries(map)) if (o[opt] !== undefined) body[field] = o[opt];
      const d = await adminCall(o, 'POST', '/devices', body);
      console.log(`device ${d.deviceIdentification} added (${d.deviceType})`);
    });

  addClientOptions(device.command('list'))
    .description('list devices')
    .option('--owner-org <org>', 'only devices this organisation is authorised for')
    .option('--gateway <id>', 'only M-Bus devices coupled to this gateway')
    .option('--limit <n>', 'at most this many (max 1000)', int)
    .action(async (o: ClientOptions & { ownerOrg?: string; gateway?: string; limit?: number }) => {
      const q = new URLSearchParams();
      if (o.ownerOrg) q.set('organisation', o.ownerOrg);
      if (o.gateway) q.set('gateway', o.gateway);
      if (o.limit) q.set('limit', String(o.limit));
      const { devices } = await adminCall(o, 'GET', `/devices?${q}`);
      printTable(devices, ['deviceIdentification', 'deviceType', 'protocolName', 'protocolVersion', 'host', 'port', 'gatewayDeviceIdentification', 'channel']);
    });

  addClientOptions(device.command('show <id>')).description('show a device and its authorisations').action(async (id: string, o: ClientOptions) => {
    console.log(JSON.stringify(await adminCall(o, 'GET', `/devices/${encodeURIComponent(id)}`), null, 2));
  });

  addClientOptions(device.command('network <id>'))
    .description('set the network address the platform connects to, and the mobile network cell (GXF SetCommunicationNetworkInformation)')
    .option('--host <host>', 'IP address or host name')
    .option('--port <port>', 'TCP port (with --host)', int)
    .option('--bts-id <id>', 'base transceiver station id', int)
    .option('--cell-id <id>', 'cell id', int)
    .action(async (id: string, o: ClientOptions & { host?: string; port?: number; btsId?: number; cellId?: number }) => {
      if (o.host === undefined && o.btsId === undefined && o.cellId === undefined) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'give --host, --bts-id or --cell-id', { component: 'SHARED' });
      const d = await adminCall(o, 'PUT', `/devices/${encodeURIComponent(id)}/network`, {
        ...(o.host ? { host: o.host } : {}), ...(o.port ? { port: o.port } : {}),
        ...(o.btsId !== undefined ? { btsId: o.btsId } : {}), ...(o.cellId !== undefined ? { cellId: o.cellId } : {}),
      });
      const cell = d.btsId !== null || d.cellId !== null ? ` (BTS ${d.btsId ?? '-'}, cell ${d.cellId ?? '-'})` : '';
      console.log(`device ${id} at ${d.host ?? '(no address)'}${d.port ? `:${d.port}` : ''}${cell}`);
    });

  addClientOptions(device.command('owner <id> <org>'))
    .description('make an organisation the only OWNER of a device (GXF SetOwner)')
    .action(async (id: string, orgId: string, o: ClientOptions) => {
      await adminCall(o, 'PUT', `/devices/${encodeURIComponent(id)}/owner`, { organisationIdentification: orgId });
      console.log(`${orgId} owns ${id}`);
    });

  addClientOptions(device.command('ownerless')).description('list the devices without an OWNER (GXF FindDevicesWhichHaveNoOwner)').action(async (o: ClientOptions) => {
    const { devices } = await adminCall(o, 'GET', '/devices/without-owner');
    printTable(devices.map((d: { organisations: string[] }) => ({ ...d, organisations: d.organisations.join(',') })), ['deviceIdentification', 'deviceType', 'host', 'publicKeyPresent', 'organisations']);
  });

  addClientOptions(device.command('protocol <id> <name> <version>'))
    .description('set the protocol of a device, e.g. SMR 5.5 (GXF UpdateDeviceProtocol)')
    .action(async (id: string, name: string, version: string, o: ClientOptions) => {
      const d = await adminCall(o, 'PUT', `/devices/${encodeURIComponent(id)}/protocol`, { protocolName: name, protocolVersion: version });
      console.log(`device ${id} speaks ${d.protocolName} ${d.protocolVersion}`);
    });

  addClientOptions(device.command('remove <id>'))
    .description('remove a device with its authorisations (GXF RemoveDevice; decouple its M-Bus devices first)')
    .action(async (id: string, o: ClientOptions) => {
      await adminCall(o, 'DELETE', `/devices/${encodeURIComponent(id)}`);
      console.log(`device ${id} removed`);
    });

  addClientOptions(device.command('grant <id> <org> <functionGroup>'))
    .description('authorise an organisation for a device (OWNER, INSTALLATION, AD_HOC, MANAGEMENT, CONFIGURATION, MONITORING, ...)')
    .action(async (id: string, orgId: string, group: string, o: ClientOptions) => {
      await adminCall(o, 'POST', `/devices/${encodeURIComponent(id)}/authorisations`, { organisationIdentification: orgId, functionGroup: group });
      console.log(`${orgId} has ${group} on ${id}`);
    });

  addClientOptions(device.command('revoke <id> <org> <functionGroup>')).description('withdraw an authorisation').action(async (id: string, orgId: string, group: string, o: ClientOptions) => {
    const r = await adminCall(o, 'DELETE', `/devices/${encodeURIComponent(id)}/authorisations/${encodeURIComponent(orgId)}/${encodeURIComponent(group)}`);
    console.log(r.removed ? `revoked ${group} of ${orgId} on ${id}` : 'no such authorisation');
  });

  addClientOptions(device.command('import <file>'))
    .description('import devices in bulk from CSV (header: deviceIdentification,deviceType,protocolName,protocolVersion,host,port,...; the field names of `device add`), with progress; existing devices are skipped')
    .option('--batch <rows>', 'devices per request', (v) => Number(v), 1000)
    .action(async (file: string, o: ClientOptions & { batch: number }) => {
      const devices = parseDeviceCsv(readFileSync(file, 'utf8'));
      let added = 0;
      let skipped = 0;
      for (let i = 0; i < devices.length; i += o.batch) {
        const r = await adminCall(o, 'POST', '/devices/bulk', { devices: devices.slice(i, i + o.batch) });
        added += r.added;
        skipped += r.skipped;
        process.stderr.write(`\rdevices: ${added + skipped}/${devices.length} (${added} added, ${skipped} already there)`);
      }
      process.stderr.write('\n');
      console.log(JSON.stringify({ added, skipped }));
    });
}

const NUMERIC = new Set(['port', 'challengeLength', 'withListMax', 'mbusVersion', 'mbusDeviceTypeIdentification', 'mbusPrimaryAddress', 'channel']);

/** CSV with a header of device field names; empty cells are left out; numbers and booleans converted. */
export function parseDeviceCsv(text: string): Record<string, unknown>[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() && !l.trimStart().startsWith('#'));
  const header = (lines.shift() ?? '').split(',').map((h) => h.trim());
  if (!header.includes('deviceIdentification') || !header.includes('deviceType')) throw new Error('the CSV header must name deviceIdentification and deviceType');
  return lines.map((line, n) => {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== header.length) throw new Error(`line ${n + 2}: ${cells.length} cells, the header has ${header.length}`);
    const d: Record<string, unknown> = {};
    header.forEach((h, i) => {
      const v = cells[i]!;
      if (v === '') return;
      d[h] = NUMERIC.has(h) ? Number(v) : h === 'hls5Active' ? v === 'true' : v;
    });
    return d;
  });
}

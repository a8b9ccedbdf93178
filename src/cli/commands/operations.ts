/** `meterfabric operations [--json]`: the operation catalogue (src/operations/catalogue.ts) and GXF's other SmartMetering operations. */
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('operations')
    .description('list the operations: message type, SOAP request element, REST route, function group, implemented')
    .option('--json', 'print a JSON array (fields: messageType, service, soapRequest, restRoute, functionGroup, implemented, bundleable)')
    .action(async (o: { json?: boolean }) => {
      const { operationRows } = await import('../../operations/listing.ts');
      const rows = operationRows();
      if (o.json) {
        console.log(JSON.stringify(rows.map((r) => ({
          messageType: r.messageType, service: r.service, soapRequest: r.soapRequest, restRoute: r.restRoute,
          functionGroup: r.functionGroup, implemented: r.implemented, bundleable: r.bundleable,
        })), null, 2));
        return;
      }
      const { printTable } = await import('../admin-client.ts');
      printTable(
        rows.map((r) => ({ ...r, implemented: r.implemented ? 'yes' : 'no', messageType: r.messageType ?? '-', restRoute: r.restRoute ?? '-', functionGroup: r.functionGroup ?? '-' })),
        ['messageType', 'soapRequest', 'restRoute', 'functionGroup', 'implemented'],
      );
    });
}

/**
 * `meterfabric firmware …`: the firmware file store (docs/firmware.md#file-store), through the REST admin API of a
 * running platform, and `firmware update` (./bulk.ts), UpdateFirmware on one meter or a fleet as a bulk job.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { addClientOptions, adminCall, printTable, type ClientOptions } from '../admin-client.ts';
import { registerFirmwareUpdate } from './bulk.ts';

export function register(program: Command): void {
  const fw = program.command('firmware').description('firmware files for UpdateFirmware (talks to a running platform)');

  addClientOptions(fw.command('add <file>'))
    .description('store a firmware file under an identification (admin; never overwrites); prints its identification and hash')
    .requiredOption('--identification <id>', "the FirmwareIdentification UpdateFirmware requests name (1..40 characters)")
    .option('--image-identifier <hex>', 'image_identifier sent with image_transfer_initiate (hex); needed to update E-meters')
    .option('--manufacturer <m>', 'restrict the file to this device model manufacturer (with --model-code)')
    .option('--model-code <c>', 'restrict the file to this device model code (with --manufacturer)')
    .action(async (file: string, o: ClientOptions & { identification: string; imageIdentifier?: string; manufacturer?: string; modelCode?: string }) => {
      if ((o.manufacturer === undefined) !== (o.modelCode === undefined)) throw new Error('--manufacturer and --model-code go together');
      const f = await adminCall(o, 'POST', '/firmware', {
        identification: o.identification,
        content: readFileSync(file).toString('base64'),
        ...(o.imageIdentifier !== undefined ? { imageIdentifier: o.imageIdentifier } : {}),
        ...(o.manufacturer !== undefined ? { manufacturer: o.manufacturer, modelCode: o.modelCode } : {}),
      });
      console.log(`identification ${f.identification}`);
      console.log(`hash ${f.hash} (${f.hashType}, ${f.size} bytes)`);
    });

  addClientOptions(fw.command('list')).description('list stored firmware files').action(async (o: ClientOptions) => {
    const { firmwareFiles } = await adminCall(o, 'GET', '/firmware');
    printTable(firmwareFiles.map((f: Record<string, unknown>) => ({ ...f, model: f.manufacturer ? `${f.manufacturer} ${f.modelCode}` : '' })), ['identification', 'size', 'hash', 'imageIdentifier', 'model']);
  });

  registerFirmwareUpdate(fw);
}

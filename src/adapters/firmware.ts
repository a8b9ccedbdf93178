/**
 * Firmware on E-meters and M-Bus devices (docs/firmware.md): GetFirmwareVersion, GetFirmwareVersionGas and
 * UpdateFirmware's logic over the gateway link, the firmware file store and the stored transfer progress.
 *
 * UpdateFirmware, beyond GXF (which re-initiates unless its stored hash and the meter's status say otherwise, and
 * loses its place when the process ends): the progress is stored before initiate, at every step and every 16 blocks,
 * so a restarted process continues where the meter stands; a dropped line is retried within the request from the
 * meter's first missing block; one image transfer per device at a time (the key changes' per-device lock, and the
 * platform's exchange lock across processes).
 */
import { ErrorCode, MeterfabricError, isRetryable } from '../errors.ts';
import { attributeAddress, type CosemObject } from '../cosem/model.ts';
import type { Obis } from '../dlms/obis.ts';
import { firmwareVersionObjects, firmwareVersionText, isMbusFirmware, isSmr5, mbusSimpleVersionInfo, personaliseMbusFirmware, type FirmwareModuleType } from '../cosem/index.ts';
import { transferImage, type ImageTransferProgress, type ImageTransferReport, type ImageTransferStep } from '../session/image-transfer.ts';
import { coupledMbusDevice, functional, withLink, type RequestInfo } from './mbus-keys.ts';
import { withDeviceLock } from './emeter-keys.ts';
import type { ExecutorDeps, GatewayLink } from './ports.ts';

export interface FirmwareFileRecord {
  identification: string;
  content: Buffer;
  hash: string;
  /** hex */
  imageIdentifier?: string;
  manufacturer?: string;
  modelCode?: string;
}

export interface StoredTransfer {
  firmwareIdentification: string;
  hash: string;
  step: ImageTransferStep;
  blockSize?: number;
  blocks?: number;
  nextBlock: number;
  correlationUid?: string;
}

/** What the firmware operations need beyond the executors' common ports (bound in ./bindings.ts). */
export interface FirmwarePort {
  findFile(identification: string): Promise<FirmwareFileRecord | undefined>;
  /** The device model AddDevice stated (manufacturer, model code), if any. */
  deviceModel(deviceIdentification: string): Promise<{ manufacturer?: string; modelCode?: string } | undefined>;
  getProgress(deviceIdentification: string): Promise<StoredTransfer | undefined>;
  saveProgress(deviceIdentification: string, p: StoredTransfer): Promise<void>;
  clearProgress(deviceIdentification: string): Promise<void>;
  /** Attempts within one execution after a dropped line (default 4), the pause before the n-th (n × this, default 500 ms). */
  attempts?: number;
  retryDelayMs?: number;
  /** Pause between status reads while the meter verifies or activates (default 1000 ms). */
  pollIntervalMs?: number;
  /** Store the progress every n blocks (default 16; every step is stored regardless). */
  progressEvery?: number;
  /** Hash of a file as the store computes it (src/platform/firmware.ts firmwareHash). */
  hashOf(content: Buffer): string;
}

/** Attribute `value` of a data or register object, as a GET reference. */
function valueOf(o: CosemObject): { classId: number; obis: Obis; attributeId: number } {
  const a = attributeAddress(o, 'value');
  return { classId: a.classId, obis: a.instance, attributeId: a.attributeId };
}

export interface FirmwareVersion {
  version: string;
  firmwareModuleType: FirmwareModuleType;
}

/** GetFirmwareVersion: the firmware version objects of the meter's protocol, one GET (with-list where allowed). */
export async function readFirmwareVersions(link: GatewayLink, protocol: string): Promise<FirmwareVersion[]> {
  const objects = firmwareVersionObjects(protocol);
  const results = await link.getAttributes(objects.map((o) => valueOf(o.object)));
  if (results.length !== objects.length) throw new MeterfabricError(ErrorCode.ILLEGAL_RESPONSE, `${results.length} results for ${objects.length} firmware version objects`, { retryable: true });
  return objects.map((o, i) => {
    const r = results[i]!;
    if (r.kind !== 'data') throw new MeterfabricError(ErrorCode.DATA_ACCESS_RESULT, `GET firmware version ${o.object.obis.toString()}: Data-Access-Result ${r.result}`, { retryable: false, details: { result: r.result } });
    if (r.data.type !== 'octet-string' && r.data.type !== 'visible-string') throw new MeterfabricError(ErrorCode.ILLEGAL_RESPONSE, `firmware version ${o.object.obis.toString()} is ${r.data.type}`, { retryable: false });
    const bytes = r.data.type === 'octet-string' ? r.data.value : Buffer.from(r.data.value, 'latin1');
    return { version: firmwareVersionText(bytes), firmwareModuleType: o.type };
  });
}

export async function getFirmwareVersions(deps: ExecutorDeps, req: RequestInfo): Promise<{ firmwareVersions: FirmwareVersion[] }> {
  const gateway = await deps.inventory.getGateway(req.deviceIdentification);
  return { firmwareVersions: await withLink(deps, gateway.deviceIdentification, req.signal, (link) => readFirmwareVersions(link, gateway.protocol)) };
}

/** GetFirmwareVersionGas: the M-Bus device's simple version info through its gateway (SMR 5 only), as lowercase hex. */
export async function getFirmwareVersionGas(deps: ExecutorDeps, req: RequestInfo): Promise<{ firmwareVersion: { version: string; firmwareModuleType: 'SIMPLE_VERSION_INFO' } }> {
  const { gateway, channel } = await coupledMbusDevice(deps, req.deviceIdentification);
  const g = await deps.inventory.getGateway(gateway);
  if (!isSmr5(g.protocol)) throw functional(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL, `Simple Version Info not supported by protocol ${g.protocol}`);
  const version = await withLink(deps, gateway, req.signal, (link) => readSimpleVersionInfo(link, channel));
  return { firmwareVersion: { version, firmwareModuleType: 'SIMPLE_VERSION_INFO' } };
}

export interface UpdateFirmwareResult {
  firmwareIdentification: string;
  firmwareVersions: { version: string; firmwareModuleType: FirmwareModuleType | 'SIMPLE_VERSION_INFO' }[];
}

/** What one UpdateFirmware execution did (for the fault campaign and the log). */
export interface UpdateFirmwareTrace {
  attempts: number;
  reports: ImageTransferReport[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Reads the simple version info of a channel (class 4 value, octet-string) as lowercase hex. */
async function readSimpleVersionInfo(link: GatewayLink, channel: number): Promise<string> {
  const o = mbusSimpleVersionInfo(channel);
  const [r] = await link.getAttributes([valueOf(o)]);
  if (!r || r.kind !== 'data') throw new MeterfabricError(ErrorCode.DATA_ACCESS_RESULT, `GET simple version info ${o.obis.toString()}: Data-Access-Result ${r?.kind === 'error' ? r.result : 'none'}`, { retryable: false });
  if (r.data.type !== 'octet-string') throw new MeterfabricError(ErrorCode.ILLEGAL_RESPONSE, `simple version info is ${r.data.type}`, { retryable: false });
  return r.data.value.toString('hex');
}

/** What is sent to which gateway, and how it ends. */
interface Shipment {
  gateway: string;
  protocol: string;
  image: Buffer;
  imageIdentifier: Buffer;
  verify: boolean;
  /** The versions to answer with, read on the same association after activation. */
  versions(link: GatewayLink): Promise<ReadVersion[]>;
}

type ReadVersion = { version: string; firmwareModuleType: FirmwareModuleType | 'SIMPLE_VERSION_INFO' };

async function checkModel(port: FirmwarePort, deviceId: string, file: FirmwareFileRecord): Promise<void> {
  if (file.manufacturer === undefined && file.modelCode === undefined) return;
  const model = await port.deviceModel(deviceId);
  if (!model?.manufacturer && !model?.modelCode) throw functional(ErrorCode.UNKNOWN_DEVICEMODEL, `Device ${deviceId} has no device model`, 'DOMAIN_SMART_METERING');
  if (model.manufacturer !== file.manufacturer || model.modelCode !== file.modelCode) {
    throw functional(ErrorCode.FIRMWARE_DOES_NOT_SUPPORT_DEVICE_MODEL, `DeviceModel ${model.manufacturer ?? ''} ${model.modelCode ?? ''} of smartmeter ${deviceId} is not supported by firmware file ${file.identification}`, 'DOMAIN_SMART_METERING');
  }
}

/** An M-Bus device's firmware (SMR 5): the file personalised for the device, through its gateway's image transfer. */
async function mbusShipment(deps: ExecutorDeps & { firmware: FirmwarePort }, mbusId: string, file: FirmwareFileRecord): Promise<Shipment> {
  const { mbus, gateway, channel } = await coupledMbusDevice(deps, mbusId);
  const g = await deps.inventory.getGateway(gateway);
  if (!isSmr5(g.protocol)) throw functional(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL, `M-Bus firmware needs an SMR 5 gateway; ${gateway} is ${g.protocol}`);
  if (!isMbusFirmware(file.content)) throw functional(ErrorCode.IMAGE_TRANSFER_FAILED, `Firmware file ${file.identification} is no M-Bus firmware file`);
  if (!mbus.identificationNumber || !/^[0-9]{8}$/.test(mbus.identificationNumber)) throw functional(ErrorCode.IMAGE_TRANSFER_FAILED, `M-Bus device ${mbusId} has no identification number`);
  const key = await deps.secrets.getActive(mbusId, 'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY');
  if (!key) throw functional(ErrorCode.KEY_NOT_PRESENT, `No key of type G_METER_FIRMWARE_UPDATE_AUTHENTICATION found for device ${mbusId}`);
  let p;
  try {
    p = personaliseMbusFirmware(file.content, mbus.identificationNumber, key.key);
  } catch (e) {
    throw functional(ErrorCode.IMAGE_TRANSFER_FAILED, e instanceof Error ? e.message : String(e));
  } finally {
    key.key.fill(0);
  }
  return {
    gateway, protocol: g.protocol, image: p.image, imageIdentifier: p.imageIdentifier, verify: false,
    versions: async (link) => [{ version: await readSimpleVersionInfo(link, channel), firmwareModuleType: 'SIMPLE_VERSION_INFO' }],
  };
}

/**
 * UpdateFirmware: the stored file (701 when unknown, 601/704 when the device's model is not the file's),
 * transferred with class 18 and activated; the answer holds the firmware versions read after activation. An E-meter
 * gets the file as it is (verified before activation); an M-Bus device on an SMR 5 gateway gets the file
 * personalised and authenticated with its firmware update key (./../cosem/mbus-firmware.ts), activated without
 * verify, through its gateway.
 */
export async function updateFirmware(deps: ExecutorDeps & { firmware: FirmwarePort }, req: RequestInfo, firmwareIdentification: string, trace?: UpdateFirmwareTrace): Promise<UpdateFirmwareResult> {
  const port = deps.firmware;
  const isMbus = Boolean(await deps.inventory.getMbusDevice(req.deviceIdentification));
  const gatewayRecord = isMbus ? undefined : await deps.inventory.getGateway(req.deviceIdentification);
  const file = await port.findFile(firmwareIdentification);
  if (!file) throw functional(ErrorCode.UNKNOWN_FIRMWARE, `No firmware file found with Identification ${firmwareIdentification}`, 'DOMAIN_SMART_METERING');
  await checkModel(port, req.deviceIdentification, file);
  if (port.hashOf(file.content) !== file.hash) throw functional(ErrorCode.IMAGE_TRANSFER_FAILED, `Firmware file '${file.identification}' does not match its stored hash (${file.hash})`);
  let shipment: Shipment;
  if (isMbus) {
    shipment = await mbusShipment(deps, req.deviceIdentification, file);
  } else {
    if (!file.imageIdentifier) throw functional(ErrorCode.IMAGE_TRANSFER_FAILED, `Firmware file ${file.identification} has no image identifier (meterfabric firmware add --image-identifier HEX)`);
    const g = gatewayRecord!;
    shipment = {
      gateway: g.deviceIdentification, protocol: g.protocol, image: file.content, imageIdentifier: Buffer.from(file.imageIdentifier, 'hex'), verify: true,
      versions: (link) => readFirmwareVersions(link, g.protocol),
    };
  }
  const id = shipment.gateway;
  // The progress names the exact bytes sent (an M-Bus image differs per device).
  const hash = port.hashOf(shipment.image);
  const attempts = port.attempts ?? 4;
  const delayMs = port.retryDelayMs ?? 500;
  return withDeviceLock(id, async () => {
    for (let attempt = 1; ; attempt++) {
      if (trace) trace.attempts = attempt;
      try {
        return await withLink(deps, id, req.signal, async (link) => {
          const stored = await port.getProgress(id);
          const same = stored && stored.hash === hash && stored.firmwareIdentification === file.identification;
          const report = {} as ImageTransferReport;
          trace?.reports.push(report);
          const save = (p: ImageTransferProgress) => port.saveProgress(id, { firmwareIdentification: file.identification, hash, ...p, correlationUid: req.correlationUid });
          await transferImage(link, {
            report,
            image: shipment.image,
            imageIdentifier: shipment.imageIdentifier,
            verify: shipment.verify,
            ...(same ? { resumeFrom: stored.step } : {}),
            progress: save,
            // Where to continue is the meter's attribute 4, not this number: a write every 16 blocks is plenty.
            progressEvery: port.progressEvery ?? 16,
            pollIntervalMs: port.pollIntervalMs ?? 1000,
          });
          return { firmwareIdentification: file.identification, firmwareVersions: await shipment.versions(link) };
        });
      } catch (e) {
        if (!isRetryable(e) || attempt >= attempts || req.signal?.aborted) {
          // A transfer the meter refused or could not verify starts over next time.
          if (!isRetryable(e) && (e as { code?: number }).code === ErrorCode.IMAGE_TRANSFER_FAILED) await port.clearProgress(id).catch(() => undefined);
          throw e;
        }
        await sleep(delayMs * attempt);
      }
    }
  });
}

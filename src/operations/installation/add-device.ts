/**
 * AddDevice (docs/gxf.md#adddevice): an E-meter or G-meter with its keys; inventory and key store only, no device
 * contact. A device that exists already ends with 204 EXISTING_DEVICE unless overwrite is set; overwrite is for the
 * device's OWNER (or an ADMIN organisation) and replaces the device's description and keys in place: it never
 * moves ownership, couplings or authorisations.
 */
import { z } from 'zod';
import type { XmlElement } from 'libxml2-wasm';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { bool, hex, int, resultWithDescription, sub, text, validation } from '../../api/soap/mapping.ts';
import { childText } from '../../api/soap/xml.ts';
import { hexCiphertext, requestOptions } from '../../api/rest/schemas.ts';
import { define, type DeviceDescription } from '../define.ts';

const deviceType = z.enum(['SMART_METER_E', 'SMART_METER_G', 'SMART_METER_W']);

/** Keys are hex of RSA-OAEP(SHA-1) ciphertexts under the platform's public key, as GXF clients send them. */
const payload = z
  .object({
    deviceIdentification: z.string().regex(/^[a-zA-Z0-9 ]{16,64}$/, 'GXF DeviceIdentification: 16..64 letters, digits, spaces'),
    deviceType,
    protocolName: z.string().max(10).optional(),
    protocolVersion: z.string().max(10).optional(),
    protocolVariant: z.string().max(10).optional(),
    timezone: z.string().max(40).optional().describe('e.g. Europe/Amsterdam'),
    communicationMethod: z.string().max(10).optional(),
    communicationProvider: z.string().max(10).optional(),
    iccId: z.string().max(20).optional(),
    supplier: z.string().max(50).optional(),
    lls1Active: z.boolean().optional(),
    hls3Active: z.boolean().optional(),
    hls4Active: z.boolean().optional(),
    hls5Active: z.boolean().optional(),
    masterKey: hexCiphertext.optional(),
    globalEncryptionUnicastKey: hexCiphertext.optional(),
    authenticationKey: hexCiphertext.optional(),
    mbusIdentificationNumber: z.string().regex(/^[0-9]{8}$/).optional(),
    mbusManufacturerIdentification: z.string().regex(/^[A-Z]{3}$/).optional(),
    mbusVersion: z.number().int().min(0).max(255).optional(),
    mbusDeviceTypeIdentification: z.number().int().min(0).max(255).optional(),
    mbusDefaultKey: hexCiphertext.optional(),
    mbusUserKey: hexCiphertext.optional(),
    mbusFirmwareUpdateAuthenticationKey: hexCiphertext.optional(),
    mbusP0Key: hexCiphertext.optional(),
    polyphase: z.boolean().optional(),
    ipAddressIsStatic: z.boolean().optional(),
    deliveryDate: z.iso.datetime({ offset: true }).optional().describe('GXF Delivery_date, ISO 8601'),
    withListMax: z.number().int().min(1).optional(),
    selectiveAccessSupported: z.boolean().optional(),
    challengeLength: z.number().int().min(0).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    deviceModel: z.object({ manufacturer: z.string().min(1).max(4), modelCode: z.string().max(255).optional() }).strict().optional(),
    overwrite: z.boolean().optional(),
  })
  .strict();
export type AddDevicePayload = z.infer<typeof payload>;

function readAddDevice(request: XmlElement): { deviceIdentification: string; payload: AddDevicePayload } {
  const d = sub(request, 'Device');
  const deviceIdentification = childText(d, 'Device_Identification');
  // GXF accepts the request and fails later in the adapter (docs/gxf.md#adddevice); refusing it at once tells the client why.
  if (!deviceIdentification) throw validation('Device_Identification is required');
  const type = deviceType.safeParse(childText(d, 'Device_type'));
  if (!type.success) throw validation('Device_type must be SMART_METER_E, SMART_METER_G or SMART_METER_W');
  const model = sub(request, 'DeviceModel');
  const p: AddDevicePayload = {
    deviceIdentification,
    deviceType: type.data,
    protocolName: childText(d, 'protocolName'),
    protocolVersion: childText(d, 'protocolVersion'),
    protocolVariant: childText(d, 'protocolVariant'),
    timezone: childText(d, 'Timezone'),
    communicationMethod: childText(d, 'Communication_method'),
    communicationProvider: childText(d, 'Communication_provider'),
    iccId: childText(d, 'Icc_id'),
    supplier: childText(d, 'Supplier'),
    lls1Active: bool(childText(d, 'Lls1_active')),
    hls3Active: bool(childText(d, 'Hls3_active')),
    hls4Active: bool(childText(d, 'Hls4_active')),
    hls5Active: bool(childText(d, 'Hls5_active')),
    masterKey: hex(childText(d, 'Master_key')),
    globalEncryptionUnicastKey: hex(childText(d, 'Global_encryption_unicast_key')),
    authenticationKey: hex(childText(d, 'Authentication_key')),
    mbusIdentificationNumber: childText(d, 'Mbus_identification_number'),
    mbusManufacturerIdentification: childText(d, 'Mbus_manufacturer_identification'),
    mbusVersion: int(childText(d, 'Mbus_version')),
    mbusDeviceTypeIdentification: int(childText(d, 'Mbus_device_type_identification')),
    mbusDefaultKey: hex(childText(d, 'Mbus_default_key')),
    mbusUserKey: hex(childText(d, 'Mbus_user_key')),
    mbusFirmwareUpdateAuthenticationKey: hex(childText(d, 'Mbus_firmware_update_authentication_key')),
    mbusP0Key: hex(childText(d, 'Mbus_p0_key')),
    polyphase: bool(childText(d, 'Polyphase')),
    ipAddressIsStatic: bool(childText(d, 'IpAddressIsStatic')),
    deliveryDate: childText(d, 'Delivery_date'),
    withListMax: int(childText(d, 'WithListMax')),
    selectiveAccessSupported: bool(childText(d, 'SelectiveAccessSupported')),
    challengeLength: int(childText(d, 'ChallengeLength')),
    port: int(childText(d, 'Port')),
    deviceModel: { manufacturer: text(model, 'Manufacturer'), modelCode: childText(model, 'ModelCode') },
    overwrite: bool(childText(request, 'overwrite')) ?? false,
  };
  for (const k of Object.keys(p) as (keyof AddDevicePayload)[]) if (p[k] === undefined) delete p[k];
  if (p.deviceModel && p.deviceModel.modelCode === undefined) delete p.deviceModel.modelCode;
  return { deviceIdentification, payload: p };
}

/** What AddDevice states about the device beyond what reaching the meter needs: kept as GXF keeps it. */
function installationOf(p: AddDevicePayload): Record<string, unknown> {
  const { deviceModel, protocolVariant, timezone, supplier, communicationMethod, communicationProvider, iccId, lls1Active, hls3Active, hls4Active, polyphase, ipAddressIsStatic, selectiveAccessSupported, deliveryDate } = p;
  return { deviceModel, protocolVariant, timezone, supplier, communicationMethod, communicationProvider, iccId, lls1Active, hls3Active, hls4Active, polyphase, ipAddressIsStatic, selectiveAccessSupported, deliveryDate };
}

type KeyField = 'masterKey' | 'authenticationKey' | 'globalEncryptionUnicastKey' | 'mbusDefaultKey' | 'mbusUserKey' | 'mbusFirmwareUpdateAuthenticationKey' | 'mbusP0Key';

export default define({
  messageType: 'ADD_METER',
  service: 'SmartMeteringInstallation',
  functionGroup: 'INSTALLATION',
  contactsDevice: false,
  payload,
  soap: {
    request: 'AddDeviceRequest',
    asyncResponse: 'AddDeviceAsyncResponse',
    asyncRequest: 'AddDeviceAsyncRequest',
    response: 'AddDeviceResponse',
    wsdlOperations: ['AddDevice', 'GetAddDeviceReponse'],
    family: 'strict',
    read: readAddDevice,
    render: resultWithDescription,
  },
  rest: {
    url: '/devices',
    operationId: 'addDevice',
    summary: 'Add an E-meter or G-meter with its keys (AddDevice; keys RSA-OAEP encrypted as GXF clients send them)',
    tag: 'devices',
    body: payload.extend(requestOptions).strict(),
    toRequest: (_params, body) => {
      const p: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(body)) {
        if (k in requestOptions || v === undefined) continue;
        p[k] = typeof v === 'string' && k.endsWith('Key') ? v.toLowerCase() : v;
      }
      return { deviceIdentification: body.deviceIdentification as string, payload: p as AddDevicePayload };
    },
  },
  async execute(ports, p, ctx): Promise<undefined> {
    const inst = ports.installation;
    const invalid = (message: string) => new MeterfabricError(ErrorCode.VALIDATION_ERROR, message, { component: 'PROTOCOL_DLMS', retryable: false });
    const exists = () => new MeterfabricError(ErrorCode.EXISTING_DEVICE, `Device ${p.deviceIdentification} already exists`, { component: 'DOMAIN_SMART_METERING', retryable: false });
    const notOwner = () => new MeterfabricError(ErrorCode.UNAUTHORIZED, `Organisation [${ctx.organisationIdentification}] is not authorized for action`, { component: 'DOMAIN_SMART_METERING', retryable: false });
    if (!p.deviceIdentification) throw invalid('Device identification is required');
    // Checked before any key is decrypted, and again inside the transaction that writes.
    const existing = await inst.deviceExists(p.deviceIdentification);
    if (existing && !p.overwrite) throw exists();
    if (existing && !(await inst.mayOverwrite(ctx.organisationIdentification, p.deviceIdentification))) throw notOwner();
    const isG = p.deviceType === 'SMART_METER_G' || Boolean(p.mbusDefaultKey);
    const keyFields: [KeyField, string][] = isG
      ? [
          ['mbusDefaultKey', 'G_METER_MASTER_KEY'],
          ['mbusUserKey', 'G_METER_ENCRYPTION_KEY'],
          ['mbusFirmwareUpdateAuthenticationKey', 'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY'],
          ['mbusP0Key', 'G_METER_OPTICAL_PORT_KEY'],
        ]
      : [
          ['masterKey', 'E_METER_MASTER_KEY'],
          ['authenticationKey', 'E_METER_AUTHENTICATION_KEY'],
          ['globalEncryptionUnicastKey', 'E_METER_ENCRYPTION_KEY_UNICAST'],
        ];
    if (isG && (p.masterKey || p.authenticationKey || p.globalEncryptionUnicastKey)) throw invalid('An M-Bus device carries no E-meter keys');
    // Keys are decrypted (and so checked) before anything is written: a bad key leaves nothing behind.
    const decrypted: [string, Buffer][] = [];
    for (const [field, type] of keyFields) {
      const hexKey = p[field];
      if (!hexKey) {
        // GXF requires every key of the device's kind; the G-meter default key is the one that matters most.
        if (!isG || field === 'mbusDefaultKey') throw new MeterfabricError(ErrorCode.KEY_NOT_PRESENT, `${field} is required for ${isG ? 'an M-Bus device' : 'an E-meter'}`, { component: 'PROTOCOL_DLMS', retryable: false });
        continue;
      }
      decrypted.push([type, inst.decryptClientKey(hexKey)]);
    }
    const protocol = p.protocolName && p.protocolVersion ? { protocolName: p.protocolName, protocolVersion: p.protocolVersion } : {};
    const description: DeviceDescription = {
      deviceIdentification: p.deviceIdentification,
      deviceType: isG ? 'SMART_METER_G' : 'SMART_METER_E',
      ...protocol,
      port: p.port ?? null,
      hls5Active: p.hls5Active ?? true,
      challengeLength: p.challengeLength ?? null,
      withListMax: p.withListMax ?? null,
      mbusIdentificationNumber: p.mbusIdentificationNumber ?? null,
      mbusManufacturerIdentification: p.mbusManufacturerIdentification ?? null,
      mbusVersion: p.mbusVersion ?? null,
      mbusDeviceTypeIdentification: p.mbusDeviceTypeIdentification ?? null,
    };
    const saved = await inst.saveDevice(description, installationOf(p), { owner: ctx.organisationIdentification, overwrite: Boolean(p.overwrite) });
    if (saved === 'exists') throw exists();
    if (saved === 'not-owner') throw notOwner();
    for (const [type, key] of decrypted) {
      await inst.storeActiveKey(p.deviceIdentification, type, key, { actor: ctx.organisationIdentification, reason: `AddDevice ${ctx.correlationUid}` });
    }
    return undefined;
  },
});

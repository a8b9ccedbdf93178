/**
 * What GetConfigurationObject and SetConfigurationObject share: reading the configuration object of a gateway
 * (src/cosem/configuration-object.ts) and rendering GXF's ConfigurationObject element.
 */
import { z } from 'zod';
import type { GatewayLink } from '../../adapters/ports.ts';
import { DataClass, attributeOf } from '../../cosem/index.ts';
import {
  CONFIGURATION_FLAG_TYPES,
  CONFIGURATION_OBJECT_OBIS,
  GPRS_OPERATION_MODES,
  configurationProfileOf,
  decodeConfigurationObject,
  type ConfigurationProfile,
  type ConfigurationValue,
} from '../../cosem/configuration-object.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { el, IncompleteResultError, record } from '../../api/soap/mapping.ts';

export const configurationFlagType = z.enum(CONFIGURATION_FLAG_TYPES);
export const gprsOperationMode = z.enum(['ALWAYS_ON', 'TRIGGERED']);
export const configurationFlag = z.object({ configurationFlagType, enabled: z.boolean() }).strict();

export const CONFIGURATION_OBJECT_REF = { classId: DataClass.classId, obis: CONFIGURATION_OBJECT_OBIS, attributeId: attributeOf(DataClass, 'value').id };

/** The protocol's layout; a protocol without a configuration object (DSMR 2.2) is refused as GXF's object lookup fails. */
export function configurationProfile(protocol: string): ConfigurationProfile {
  const p = configurationProfileOf(protocol);
  if (!p) throw new MeterfabricError(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL, `No configuration object known for protocol ${protocol}`, { retryable: false });
  return p;
}

/** GET of attribute 2; a refusal or a value of the other layout is an error. */
export async function readConfigurationObject(link: GatewayLink, profile: ConfigurationProfile): Promise<ConfigurationValue> {
  const [r] = await link.getAttributes([CONFIGURATION_OBJECT_REF]);
  if (!r || r.kind !== 'data') {
    const name = r ? dataAccessResultName(r.result) : 'no answer';
    throw new MeterfabricError(ErrorCode.DATA_ACCESS_RESULT, `Retrieving the configuration object failed: ${name}`, { retryable: false });
  }
  return decodeConfigurationObject(r.data, profile.layout);
}

export const gprsModeName = (n: number | undefined): string | undefined => (n === 1 || n === 2 ? GPRS_OPERATION_MODES[n] : undefined);

/** conf:ConfigurationObject from stored `{gprsOperationMode?, configurationFlags[]}`. */
export function configurationObjectXml(data: unknown, p: string): string {
  const d = record(data, 'configurationObject');
  const flags = d.configurationFlags;
  if (!Array.isArray(flags)) throw new IncompleteResultError('configurationFlags');
  const mode = typeof d.gprsOperationMode === 'string' ? el(`${p}:GprsOperationMode`, d.gprsOperationMode) : '';
  const items = flags.map((f) => {
    const x = record(f, 'configurationFlags[]');
    if (typeof x.configurationFlagType !== 'string' || typeof x.enabled !== 'boolean') throw new IncompleteResultError('configurationFlags[]');
    return `<${p}:ConfigurationFlag>${el(`${p}:ConfigurationFlagType`, x.configurationFlagType)}${el(`${p}:Enabled`, String(x.enabled))}</${p}:ConfigurationFlag>`;
  });
  return `<${p}:ConfigurationObject>${mode}${items.length ? `<${p}:ConfigurationFlags>${items.join('')}</${p}:ConfigurationFlags>` : ''}</${p}:ConfigurationObject>`;
}

/**
 * The device's HLS flags as the configuration object holds them (HLS_3/4/5_ON_P3_ENABLE, as GXF's
 * AbstractConfigurationObjectService#updateHlsActive takes them); a flag the protocol does not define stays undefined.
 */
export function hlsActiveOf(flags: readonly { configurationFlagType: string; enabled: boolean }[]): { hls3Active?: boolean; hls4Active?: boolean; hls5Active?: boolean } {
  const of = (t: string) => flags.find((f) => f.configurationFlagType === t)?.enabled;
  const r: { hls3Active?: boolean; hls4Active?: boolean; hls5Active?: boolean } = {};
  const h3 = of('HLS_3_ON_P3_ENABLE'); const h4 = of('HLS_4_ON_P3_ENABLE'); const h5 = of('HLS_5_ON_P3_ENABLE');
  if (h3 !== undefined) r.hls3Active = h3;
  if (h4 !== undefined) r.hls4Active = h4;
  if (h5 !== undefined) r.hls5Active = h5;
  return r;
}

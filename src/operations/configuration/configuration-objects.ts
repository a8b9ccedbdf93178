/**
 * What the Configuration operations that write configuration objects share (docs/gxf.md#configuration-objects): which
 * protocols have which object, and how a refused SET ends the request, as GXF's executors do
 * (OSGP/open-smart-grid-platform, osgp-adapter-protocol-dlms, `domain/commands/pushsetup`, `alarm`, `misc`, `datetime`).
 */
import { z } from 'zod';
import type { AttributeAddress, GatewayLink } from '../../adapters/ports.ts';
import type { CosemObject } from '../../cosem/index.ts';
import { type DlmsData } from '../../dlms/axdr.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { PushMessageType } from '../../cosem/configuration.ts';

const smrMinor = (protocol: string): number | undefined => {
  const m = /^SMR 5(?:\.(\d+))?/.exec(protocol);
  return m ? Number(m[1] ?? 0) : undefined;
};

export const isSmr5 = (protocol: string): boolean => smrMinor(protocol) !== undefined;
/** SMR 5.5 is the only protocol with the UDP push setup 0-3:25.9.0.255 and alarm filter 3. */
export const isSmr55 = (protocol: string): boolean => (smrMinor(protocol) ?? 0) >= 5;

/** DSMR 4.2.2, SMR 4.3 and SMR 5.x have the administrative in/out object, the alarm and SMS push setups. */
export function hasConfigurationObjects(protocol: string): boolean {
  return /^DSMR 4\.2\.2$/.test(protocol) || /^SMR 4\.3/.test(protocol) || isSmr5(protocol);
}

export function notSupported(operation: string, protocol: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL, `${operation} is not supported for protocol ${protocol}`, {
    component: 'PROTOCOL_DLMS',
    retryable: false,
  });
}

export function requireProtocol(operation: string, protocol: string, supported: (p: string) => boolean): void {
  if (!supported(protocol)) throw notSupported(operation, protocol);
}

/** The message type of send_destination_and_method: an A-XDR APDU on SMR 5.x, manufacturer specific elsewhere. */
export function pushMessageType(protocol: string): number {
  return isSmr5(protocol) ? PushMessageType.A_XDR_APDU : PushMessageType.MANUFACTURER_SPECIFIC;
}

/** A meter's non-success answer to a SET, as the error that ends the request NOT OK. */
export function refusedBy(what: string, result: number): MeterfabricError {
  return new MeterfabricError(ErrorCode.DATA_ACCESS_RESULT, `${what} was not SUCCESS: ${dataAccessResultName(result)}`, {
    component: 'PROTOCOL_DLMS',
    retryable: false,
    details: { result },
  });
}

export const attribute = (o: CosemObject, attributeId: number): AttributeAddress => ({ classId: o.cls.classId, obis: o.obis, attributeId });

/** SET one attribute; a refusal ends the request with `what`. */
export async function setOrFail(link: GatewayLink, o: CosemObject, attributeId: number, value: DlmsData, what: string): Promise<void> {
  const result = await link.setAttribute(attribute(o, attributeId), value);
  if (result !== 0) throw refusedBy(what, result);
}

/** Host and port of a push destination, joined as GXF joins them ("host:port"). */
export const pushDestination = z.object({
  host: z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
  port: z.number().int().min(0).max(65535),
});

/**
 * Configuration values of the simulated meter (docs/gxf.md#configuration-objects): what the client wrote to the
 * administrative in/out object, the push setups, the alarm filters, the randomisation settings and the clock's time
 * zone and daylight saving attributes. Kept in the meter state as A-XDR hex by "class/logical name/attribute", so they
 * survive in the state file; an attribute never written holds the default below.
 */
import { Data, decodeDataExact, encodeData, type DlmsData } from '../dlms/axdr.ts';
import type { CosemObject } from '../cosem/index.ts';
import { TransportService, PushMessageType, sendDestinationAndMethodData } from '../cosem/configuration.ts';
import type { MeterState } from './meter.ts';

function key(o: CosemObject, attributeId: number): string {
  return `${o.cls.classId}/${o.obis.bytes.toString('hex').toUpperCase()}/${attributeId}`;
}

export function storedValue(meter: MeterState, o: CosemObject, attributeId: number): DlmsData | undefined {
  const hex = meter.configuration?.[key(o, attributeId)];
  return hex === undefined ? undefined : decodeDataExact(Buffer.from(hex, 'hex'));
}

export function storeValue(meter: MeterState, o: CosemObject, attributeId: number, value: DlmsData): void {
  meter.configuration = { ...(meter.configuration ?? {}), [key(o, attributeId)]: encodeData(value).toString('hex').toUpperCase() };
}

/**
 * Defaults of a meter that nobody configured: administrative status ON (2); push setups with an empty object list, no
 * communication window, no randomisation, 3 retries 60 s apart, and destination "localhost:4059" over TCP (UDP for
 * 0-3:25.9.0.255), message type by profile (0 on SMR 5, 128 on DSMR 4); alarm filters 0; randomisation settings
 * {0, 1, 1}; clock time zone 0 (the simulated clock runs in UTC), daylight saving from the last Sunday of March 02:00 to the last Sunday of October
 * 03:00 (deviation −60), enabled.
 */
export const CONFIGURATION_DEFAULTS = {
  administrativeStatus: 2,
  pushDestination: 'localhost:4059',
  pushRetries: 3,
  pushRepetitionDelay: 60,
  randomisationSettings: [0, 1, 1] as const,
  timeZone: 0,
  daylightSavingsBegin: 'FFFF03FE0702000000FFC400',
  daylightSavingsEnd: 'FFFF0AFE0703000000FF8880',
  daylightSavingsEnabled: true,
} as const;

export function defaultSendDestination(meter: MeterState, udp: boolean): DlmsData {
  return sendDestinationAndMethodData({
    transportService: udp ? TransportService.UDP : TransportService.TCP,
    destination: CONFIGURATION_DEFAULTS.pushDestination,
    message: meter.profile === 'smr5' ? PushMessageType.A_XDR_APDU : PushMessageType.MANUFACTURER_SPECIFIC,
  });
}

export function defaultRandomisationSettings(): DlmsData {
  const [w, f, r] = CONFIGURATION_DEFAULTS.randomisationSettings;
  return Data.structure([Data.doubleLongUnsigned(w), Data.longUnsigned(f), Data.longUnsigned(r)]);
}

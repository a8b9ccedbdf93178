/**
 * The configuration objects of a DSMR 4.2.2 / SMR 5.x E-meter that the Configuration service writes
 * (docs/gxf.md#configuration-objects), and the A-XDR values of class 40 push setups (IEC 62056-6-2, "Push setup",
 * attributes 2 and 3; DSMR 4.2.2 P3 / SMR 5.0 P3 "Push setup" objects). Logical names as the DSMR/SMR P3 companion
 * specifications list them and as GXF's object profiles use them (OSGP/open-smart-grid-platform,
 * osgp-adapter-protocol-dlms, `dlmsprofiles`).
 */
import { Data, type DlmsData } from '../dlms/axdr.ts';
import { Obis } from '../dlms/obis.ts';
import { decodeError, encodeError } from '../dlms/bytes.ts';
import { cosemObject } from './model.ts';
import { DataClass } from './classes/data.ts';
import { PushSetupClass } from './classes/push-setup.ts';
import { RegisterClass } from './classes/register.ts';
import { Unit } from '../dlms/scaler-unit.ts';

/** Administrative in/out (class 1, enum): 0 UNDEFINED, 1 OFF, 2 ON. */
export const ADMINISTRATIVE_IN_OUT = cosemObject(DataClass, '0-1:94.31.0.255');
export const ADMINISTRATIVE_STATUS = ['UNDEFINED', 'OFF', 'ON'] as const;
export type AdministrativeStatus = (typeof ADMINISTRATIVE_STATUS)[number];

/** Push setups: alarm and SMS on DSMR 4.2.2 and SMR 5.x, the UDP (last gasp) push on SMR 5.5. */
export const PUSH_SETUP_ALARM = cosemObject(PushSetupClass, '0-1:25.9.0.255');
export const PUSH_SETUP_SMS = cosemObject(PushSetupClass, '0-2:25.9.0.255');
export const PUSH_SETUP_UDP = cosemObject(PushSetupClass, '0-3:25.9.0.255');

/** Alarm filters 1, 2 (SMR 5.2+) and 3 (SMR 5.5): class 1, double-long-unsigned, one bit per alarm register bit. */
export const ALARM_FILTERS = Object.freeze({
  1: cosemObject(DataClass, '0-0:97.98.10.255'),
  2: cosemObject(DataClass, '0-0:97.98.11.255'),
  3: cosemObject(DataClass, '0-0:97.98.12.255'),
});

/** Transport service of send_destination_and_method (IEC 62056-6-2 class 40 attribute 3). */
export const TransportService = { TCP: 0, UDP: 1, FTP: 2, SMTP: 3, SMS: 4, HDLC: 5, M_BUS: 6, ZIG_BEE: 7, DLMS_GATEWAY: 8 } as const;
/** Message type of send_destination_and_method: 0 A-XDR encoded xDLMS APDU, 128 manufacturer specific. */
export const PushMessageType = { A_XDR_APDU: 0, MANUFACTURER_SPECIFIC: 128 } as const;

export interface SendDestinationAndMethod {
  transportService: number;
  /** ASCII "host:port" for TCP and UDP. */
  destination: string;
  message: number;
}

/** structure{enum transport_service, octet-string destination, enum message}. */
export function sendDestinationAndMethodData(v: SendDestinationAndMethod): DlmsData {
  if (!Number.isInteger(v.transportService) || v.transportService < 0 || v.transportService > 255) throw encodeError(`transport_service ${v.transportService}`);
  if (!Number.isInteger(v.message) || v.message < 0 || v.message > 255) throw encodeError(`message ${v.message}`);
  return Data.structure([Data.enum(v.transportService), Data.octetString(Buffer.from(v.destination, 'ascii')), Data.enum(v.message)]);
}

export function sendDestinationAndMethodOf(d: DlmsData): SendDestinationAndMethod {
  const [t, dest, m] = d.type === 'structure' && d.value.length === 3 ? d.value : [];
  if (t?.type !== 'enum' || dest?.type !== 'octet-string' || m?.type !== 'enum') throw decodeError('send_destination_and_method: structure{enum, octet-string, enum} expected');
  return { transportService: t.value, destination: dest.value.toString('ascii'), message: m.value };
}

/** One entry of push_object_list: the attribute (and element, data_index; 0 = all) pushed. */
export interface PushObject {
  classId: number;
  obis: Obis;
  attributeIndex: number;
  dataIndex: number;
}

/** array of structure{long-unsigned class_id, octet-string(6) logical_name, integer attribute_index, long-unsigned data_index}. */
export function pushObjectListData(list: readonly PushObject[]): DlmsData {
  return Data.array(list.map((o) => Data.structure([Data.longUnsigned(o.classId), Data.octetString(o.obis.bytes), Data.integer(o.attributeIndex), Data.longUnsigned(o.dataIndex)])));
}

export function pushObjectListOf(d: DlmsData): PushObject[] {
  if (d.type !== 'array') throw decodeError('push_object_list: array expected');
  return d.value.map((e, i) => {
    const [c, ln, a, di] = e.type === 'structure' && e.value.length === 4 ? e.value : [];
    if (c?.type !== 'long-unsigned' || ln?.type !== 'octet-string' || ln.value.length !== 6 || a?.type !== 'integer' || di?.type !== 'long-unsigned') {
      throw decodeError(`push_object_list element ${i}: structure{long-unsigned, octet-string(6), integer, long-unsigned} expected`);
    }
    return { classId: c.value, obis: Obis.fromBytes(ln.value), attributeIndex: a.value, dataIndex: di.value };
  });
}

/** Randomisation settings (class 1): structure{double-long-unsigned start window, long-unsigned multiplication factor, long-unsigned retries}. */
export const RANDOMISATION_SETTINGS = cosemObject(DataClass, '0-1:94.31.12.255');

/**
 * The current THD over-limit detection settings of SMR 5.2 and 5.5 (SetThdConfiguration): five class 3 registers,
 * value attribute 2 with the A-XDR type each takes, declared once for the operation and the simulator. The units are
 * what each setting counts: the thresholds in percent, the durations in seconds.
 */
export const THD_CONFIGURATION = Object.freeze([
  { field: 'valueThreshold', object: cosemObject(RegisterClass, '1-0:11.35.124.255'), type: 'long-unsigned', unit: Unit.PERCENT },
  { field: 'valueHysteresis', object: cosemObject(RegisterClass, '0-1:94.31.21.255'), type: 'long-unsigned', unit: Unit.PERCENT },
  { field: 'minDurationNormalToOver', object: cosemObject(RegisterClass, '0-1:94.31.22.255'), type: 'double-long-unsigned', unit: Unit.SECOND },
  { field: 'minDurationOverToNormal', object: cosemObject(RegisterClass, '0-1:94.31.23.255'), type: 'double-long-unsigned', unit: Unit.SECOND },
  { field: 'timeThreshold', object: cosemObject(RegisterClass, '1-0:11.44.124.255'), type: 'double-long-unsigned', unit: Unit.SECOND },
] as const);
export type ThdSetting = (typeof THD_CONFIGURATION)[number];

/** A THD setting's value as its register takes it. */
export function thdValue(setting: ThdSetting, value: number): DlmsData {
  return setting.type === 'long-unsigned' ? Data.longUnsigned(value) : Data.doubleLongUnsigned(value);
}

/** Configuration object (class 1, 0-1:94.31.3.255); its layouts and flags are in ./configuration-object.ts. */
export const CONFIGURATION_OBJECT = cosemObject(DataClass, '0-1:94.31.3.255');


/**
 * The COSEM objects of the simulated gateway E-meter (docs/dlms.md#simulator) and what GET, SET and ACTION do to them.
 * Pure functions over MeterState; the association (ACSE, HLS, ciphering) lives in connection.ts.
 *
 * Every object is served through its class declaration (src/cosem): attribute and method ids, A-XDR types and
 * access come from the declaration; this file only supplies values and behaviour, by attribute/method name. An
 * attribute is readable when the declaration allows reading and a value is supplied, writable when the declaration
 * allows writing and a setter is supplied; the association's object_list (class 15 attribute 2) states exactly that.
 *
 * Class 72 behaviour follows the simulation convention of docs/dlms.md#simulator: transfer_key is really unwrapped with
 * the G-meter's Default key (bad blob → other-reason), set_encryption_key stores the key, attribute 14 follows
 * set / transferred / in use, an action on an empty channel is other-reason, a wrong parameter type is
 * type-unmatched.
 */
import { type DlmsData, Data, cosemDateTimeToDate, dateToCosemDateTime } from '../dlms/axdr.ts';
import type { Obis } from '../dlms/obis.ts';
import { ActionResult, DataAccessResult, type AccessSelection, type AttributeDescriptor, type GetDataResult, type MethodDescriptor } from '../dlms/apdu/common.ts';
import { unwrapDsmr4TransferKey, unwrapSmr5TransferKey } from '../dlms/security/mbus-transfer-key.ts';
import { unwrapGlobalKeyTransfer, GlobalKeyId } from '../dlms/security/global-key-transfer.ts';
import { isMeterfabricError } from '../errors.ts';
import {
  AssociationLnClass,
  ClockClass,
  DataClass,
  EnergyRegisterObis,
  ExtendedRegisterClass,
  GsmDiagnosticClass,
  GsmDiagnosticObis,
  RegisterClass,
  mbusMasterValueObis,
  mbusStatusObis,
  mbusClearStatusMaskObis,
  mbusHourlyValueObis,
  loadProfiles,
  ProfileGenericClass,
  PushSetupClass,
  ALARM_REGISTERS,
  SecuritySetupClass,
  WellKnownObis,
  canRead,
  canWrite,
  cosemObject,
  dataOf,
  decodeIdentificationNumber,
  encodeIdentificationNumber,
  encodeObjectList,
  intersectAccess,
  manufacturerIdToText,
  manufacturerTextToId,
  matchesType,
  mbusClientClass,
  mbusClientSetupObis,
  objectListElement,
  valueOf,
  type Access,
  type AttributeDef,
  type AttributeName,
  type AttributeValue,
  type CosemObject,
  type InterfaceClass,
  type MethodDef,
  type MethodName,
  type MethodParameter,
  type ObjectListElement,
  type ProfileDefinition,
} from '../cosem/index.ts';
import { AccessSelector } from '../dlms/selective-access.ts';
import { HOURLY_MBUS_SCALER_UNIT, hourlyMbusValue, profileAttributes, profileBuffer } from './profiles.ts';
import { encryptionKeyStatus, type GMeterState, type MeterState } from './meter.ts';
import { energyRegisters, mbusValue, type EnergyRegisters } from './registers.ts';
import { encodeZonedDateTime } from '../dlms/date-time.ts';
import { eventLogsOf, type EventLogSupply } from './event-logs.ts';
import { alarmRegisterNumbers, alarmRegisterValue, writeAlarmRegister } from './alarms.ts';
import { Unit, scalerUnitToData } from '../dlms/scaler-unit.ts';
import { FIRMWARE_VERSION_OBJECTS, mbusSimpleVersionInfo } from '../cosem/index.ts';
import { firmwareOf, imageTransfer, simpleVersionInfo, type LineFault } from './firmware.ts';
import { powerQualityObjects, powerQualityProfiles, type PqObject, type PqProfile } from '../cosem/power-quality.ts';
import { meterScalerUnit, pqFamilyOf, pqProfileAttributes, pqProfileBuffer, pqValue } from './power-quality.ts';
import { writeDefinableCaptureObjects, writeDefinableCapturePeriod } from './power-quality.ts';
import { ADMINISTRATIVE_IN_OUT, ALARM_FILTERS, PUSH_SETUP_ALARM, PUSH_SETUP_SMS, PUSH_SETUP_UDP, RANDOMISATION_SETTINGS, THD_CONFIGURATION, type ThdSetting, thdValue, pushObjectListOf, sendDestinationAndMethodOf } from '../cosem/configuration.ts';
import { CONFIGURATION_DEFAULTS, defaultRandomisationSettings, defaultSendDestination, storeValue, storedValue } from './configuration.ts';
import { CONFIGURATION_OBJECT_OBIS } from '../cosem/configuration-object.ts';
import { readConfigurationObject, writeConfigurationObject } from './configuration-object.ts';
import { SpecialDaysTableClass } from '../cosem/classes/special-days-table.ts';
import { ActivityCalendarClass } from '../cosem/classes/activity-calendar.ts';
import { ACTIVITY_CALENDAR_OBIS, SPECIAL_DAYS_TABLE_OBIS } from '../cosem/calendar.ts';
import { activatePassiveCalendar, calendarOf, deleteSpecialDay, insertSpecialDay, readSpecialDays, writePassiveTable, writeSpecialDays } from './calendar.ts';

export interface ObjectContext {
  meter: MeterState;
  clientSap: number;
  now: () => Date;
  /** The GET's selective access (profile buffers), when it carried one. */
  access?: AccessSelection;
}

export interface ActionOutcome {
  result: number;
  returnData?: DlmsData;
  /** Runs after the response went out (security setup key switch: the response still uses the old key). */
  afterResponse?: () => void;
  /** A fault on the line instead of the answer (image transfer faults, ./firmware.ts). */
  line?: LineFault;
}

/** A Data-Access-Result instead of a value. */
interface Refused {
  refused: number;
}
const refuse = (result: number): Refused => ({ refused: result });
const isRefused = (v: unknown): v is Refused => typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && !Array.isArray(v) && 'refused' in v;

/** What the simulator supplies for one object: values, setters and methods by declared name. */
interface Served<C extends InterfaceClass> {
  object: CosemObject<C>;
  /** Readable (read-only) by the public client (SAP 16). */
  public?: boolean;
  get: { [N in AttributeName<C>]?: (ctx: ObjectContext, object: CosemObject<C>) => AttributeValue<C, N> | Refused };
  set?: { [N in AttributeName<C>]?: (ctx: ObjectContext, value: AttributeValue<C, N>, object: CosemObject<C>) => number };
  act?: { [N in MethodName<C>]?: (ctx: ObjectContext, parameter: MethodParameter<C, N>, object: CosemObject<C>) => ActionOutcome };
  /** Methods the association itself answers (HLS pass 3 in connection.ts): listed with access in the object_list. */
  handledByConnection?: readonly MethodName<C>[];
}

/** Type-checks a served object against its class at declaration time (names and value types). */
function serve<C extends InterfaceClass>(s: Served<C>): Served<InterfaceClass> {
  return s as unknown as Served<InterfaceClass>;
}

// ---------------------------------------------------------------------------------------------------------------
// The objects

export function mbusClassVersion(meter: MeterState): 0 | 1 {
  return meter.profile === 'smr5' ? 1 : 0;
}

function manufacturerToId(letters: string): number {
  return letters ? manufacturerTextToId(letters) : 0;
}

function mbusClientSetup(channel: number, version: 0 | 1): Served<InterfaceClass> {
  const object = cosemObject(mbusClientClass(version), mbusClientSetupObis(channel));
  const g = (ctx: ObjectContext) => ctx.meter.channels[channel - 1];
  /** Writing an identity couples a device to the channel (docs/dlms.md#m-bus-client-class-72); its Default key is not known here. */
  const writeIdentity = (ctx: ObjectContext, change: (g: GMeterState) => number): number => {
    const current = g(ctx) ?? { primaryAddress: 0, identification: '00000000', manufacturer: '', version: 0, deviceType: 0, defaultKey: Buffer.alloc(16) };
    const result = change(current);
    if (result === DataAccessResult.SUCCESS) ctx.meter.channels[channel - 1] = current;
    return result;
  };
  const needsDevice = (ctx: ObjectContext, run: (g: GMeterState) => ActionOutcome): ActionOutcome => {
    const device = g(ctx);
    return device ? run(device) : { result: ActionResult.OTHER_REASON };
  };
  return serve({
    object,
    get: {
      mbus_port_reference: () => WellKnownObis.MBUS_PORT_SETUP.bytes,
      capture_definition: () => [],
      capture_period: () => 3600,
      primary_address: (ctx) => g(ctx)?.primaryAddress ?? 0,
      identification_number: (ctx) => {
        const d = g(ctx);
        if (!d) return 0;
        // A class version 0 meter may hold a "BCD" value with a nibble above 9 (e.g. 'A2056731'): served as is.
        return version === 0 && /^[0-9A-F]{8}$/.test(d.identification) ? Number.parseInt(d.identification, 16) : encodeIdentificationNumber(d.identification, version);
      },
      manufacturer_id: (ctx) => manufacturerToId(g(ctx)?.manufacturer ?? ''),
      version: (ctx) => g(ctx)?.version ?? 0,
      device_type: (ctx) => g(ctx)?.deviceType ?? 0,
      access_number: () => 0,
      status: () => 0,
      alarm: () => 0,
      ...(version === 1 ? { configuration: () => 0 } : {}),
      encryption_key_status: (ctx) => encryptionKeyStatus(g(ctx)),
    },
    set: {
      primary_address: (ctx, v) => writeIdentity(ctx, (d) => ((d.primaryAddress = v), DataAccessResult.SUCCESS)),
      identification_number: (ctx, v) =>
        writeIdentity(ctx, (d) => {
          const ident = decodeIdentificationNumber(v, version);
          if (!ident.valid) return DataAccessResult.OTHER_REASON;
          d.identification = ident.text;
          return DataAccessResult.SUCCESS;
        }),
      manufacturer_id: (ctx, v) =>
        writeIdentity(ctx, (d) => {
          try {
            d.manufacturer = manufacturerIdToText(v) ?? '';
          } catch {
            return DataAccessResult.OTHER_REASON;
          }
          return DataAccessResult.SUCCESS;
        }),
      version: (ctx, v) => writeIdentity(ctx, (d) => ((d.version = v), DataAccessResult.SUCCESS)),
      device_type: (ctx, v) => writeIdentity(ctx, (d) => ((d.deviceType = v), DataAccessResult.SUCCESS)),
    },
    act: {
      slave_install: (ctx) => needsDevice(ctx, () => ({ result: ActionResult.SUCCESS })),
      capture: (ctx) => needsDevice(ctx, () => ({ result: ActionResult.SUCCESS })),
      // Clears the status bits the channel's clear status mask names (0-<ch>:94.31.10.255; ClearMBusStatusOnAllChannels).
      reset_alarm: (ctx) => needsDevice(ctx, (d) => {
        const mask = ctx.meter.mbusClearStatusMask?.[channel] ?? 0;
        d.mbusStatus = ((d.mbusStatus ?? 0) & ~mask) >>> 0;
        return { result: ActionResult.SUCCESS };
      }),
      synchronize_clock: (ctx) => needsDevice(ctx, () => ({ result: ActionResult.SUCCESS })),
      // integer(0), or unsigned(0) on GXF's retry (docs/dlms.md#m-bus-client-class-72)
      slave_deinstall: (ctx) => {
        ctx.meter.channels[channel - 1] = undefined;
        return { result: ActionResult.SUCCESS };
      },
      data_send: (ctx) => needsDevice(ctx, () => ({ result: ActionResult.SUCCESS })),
      // octet-string(16); empty disables encryption
      set_encryption_key: (ctx, key) =>
        needsDevice(ctx, (d) => {
          if (key.length === 0) {
            d.setKey = undefined;
            return { result: ActionResult.SUCCESS };
          }
          if (key.length !== 16) return { result: ActionResult.OTHER_REASON };
          d.setKey = Buffer.from(key);
          return { result: ActionResult.SUCCESS };
        }),
      transfer_key: (ctx, blob) => needsDevice(ctx, (d) => transferKey(ctx.meter, d, blob)),
    },
  });
}

/** The meter's clock: the host's (or the test's) now plus what SET time moved it by. */
function meterTime(ctx: ObjectContext): Date {
  return new Date(ctx.now().getTime() + ctx.meter.clockOffsetMs);
}

const structureOf = (d: DlmsData): DlmsData[] => (d as { value: DlmsData[] }).value;
const WH = structureOf(scalerUnitToData({ scaler: 0, unit: Unit.WATT_HOUR }));
const COUNT = structureOf(scalerUnitToData({ scaler: 0, unit: Unit.COUNT }));
const M3_LITRES = structureOf(scalerUnitToData({ scaler: -3, unit: Unit.CUBIC_METRE }));

/** An energy register (class 3, Wh, scaler 0) whose value follows the clock (./registers.ts). */
function energyRegister(obis: Obis, value: (r: EnergyRegisters) => number): Served<InterfaceClass> {
  return serve({
    object: cosemObject(RegisterClass, obis),
    get: {
      value: (ctx) => Data.doubleLongUnsigned(value(energyRegisters(ctx.meter, meterTime(ctx)))),
      scaler_unit: () => WH,
    },
  });
}

const energy = [
  energyRegister(EnergyRegisterObis.IMPORT, (r) => r.importTariff1 + r.importTariff2),
  energyRegister(EnergyRegisterObis.IMPORT_TARIFF_1, (r) => r.importTariff1),
  energyRegister(EnergyRegisterObis.IMPORT_TARIFF_2, (r) => r.importTariff2),
  energyRegister(EnergyRegisterObis.EXPORT, (r) => r.exportTariff1 + r.exportTariff2),
  energyRegister(EnergyRegisterObis.EXPORT_TARIFF_1, (r) => r.exportTariff1),
  energyRegister(EnergyRegisterObis.EXPORT_TARIFF_2, (r) => r.exportTariff2),
];

/** The M-Bus value of a channel (class 4, m³ scaler −3, capture time in local time with deviation). */
function mbusMasterValue(channel: number): Served<InterfaceClass> {
  const read = (ctx: ObjectContext) => {
    const g = ctx.meter.channels[channel - 1];
    return g ? mbusValue(ctx.meter, g.identification, meterTime(ctx)) : undefined;
  };
  return serve({
    object: cosemObject(ExtendedRegisterClass, mbusMasterValueObis(channel)),
    get: {
      value: (ctx) => {
        const v = read(ctx);
        return v ? Data.doubleLongUnsigned(v.litres) : refuse(DataAccessResult.OBJECT_UNAVAILABLE);
      },
      scaler_unit: () => M3_LITRES,
      status: () => Data.unsigned(0),
      capture_time: (ctx) => {
        const v = read(ctx);
        return v ? encodeZonedDateTime(v.capturedAt, 'Europe/Amsterdam') : refuse(DataAccessResult.OBJECT_UNAVAILABLE);
      },
    },
  });
}

/** The GET side of a profile generic (class 7) whose attributes and buffer are computed from the meter and its clock. */
function profileGetters(attributes: (ctx: ObjectContext) => ReturnType<typeof profileAttributes>, buffer: (ctx: ObjectContext) => DlmsData | { refused: number }) {
  return {
    buffer: (ctx: ObjectContext) => {
      const b = buffer(ctx);
      return 'refused' in b ? refuse(b.refused) : structureOf(b);
    },
    capture_objects: (ctx: ObjectContext) => attributes(ctx).capture_objects(),
    capture_period: (ctx: ObjectContext) => attributes(ctx).capture_period(),
    sort_method: (ctx: ObjectContext) => attributes(ctx).sort_method(),
    sort_object: (ctx: ObjectContext) => attributes(ctx).sort_object(),
    entries_in_use: (ctx: ObjectContext) => attributes(ctx).entries_in_use(),
    profile_entries: (ctx: ObjectContext) => attributes(ctx).profile_entries(),
  };
}

/** A load profile (class 7) computed from the clock (./profiles.ts). */
function loadProfile(p: ProfileDefinition): Served<InterfaceClass> {
  return serve({
    object: cosemObject(ProfileGenericClass, p.obis),
    get: profileGetters((ctx) => profileAttributes(ctx.meter, p, meterTime(ctx)), (ctx) => profileBuffer(ctx.meter, p, meterTime(ctx), ctx.access)),
  });
}

/** SMR 5's hourly M-Bus value 0-<ch>:24.2.2.255 (class 4), the value its gas profiles capture. */
function hourlyMbusValueObject(channel: number): Served<InterfaceClass> {
  const read = (ctx: ObjectContext) => hourlyMbusValue(ctx.meter, channel, meterTime(ctx));
  return serve({
    object: cosemObject(ExtendedRegisterClass, mbusHourlyValueObis(channel)),
    get: {
      value: (ctx) => read(ctx)?.value ?? refuse(DataAccessResult.OBJECT_UNAVAILABLE),
      scaler_unit: () => HOURLY_MBUS_SCALER_UNIT,
      status: () => Data.unsigned(0),
      capture_time: (ctx) => read(ctx)?.captureTime ?? refuse(DataAccessResult.OBJECT_UNAVAILABLE),
    },
  });
}

/** A power-quality register (class 3) or counter (class 1) whose value follows the clock (./power-quality.ts). */
function powerQualityObject(o: PqObject): Served<InterfaceClass> {
  if (o.classId === DataClass.classId) {
    return serve({ object: cosemObject(DataClass, o.obis), get: { value: (ctx) => pqValue(ctx.meter, o, meterTime(ctx)) } });
  }
  const su = structureOf(scalerUnitToData(meterScalerUnit(o)));
  return serve({
    object: cosemObject(RegisterClass, o.obis),
    get: { value: (ctx) => pqValue(ctx.meter, o, meterTime(ctx)), scaler_unit: () => su },
  });
}

/** A power-quality profile (class 7) computed from the clock (./power-quality.ts). */
function powerQualityProfile(p: PqProfile): Served<InterfaceClass> {
  return serve({
    object: cosemObject(ProfileGenericClass, p.obis),
    get: profileGetters((ctx) => pqProfileAttributes(ctx.meter, p, meterTime(ctx)), (ctx) => pqProfileBuffer(ctx.meter, p, meterTime(ctx), ctx.access)),
    // The definable load profile takes capture_objects and capture_period (ConfigureDefinableLoadProfile).
    ...(p.tag === 'DEFINABLE_LOAD_PROFILE'
      ? {
          set: {
            capture_objects: (ctx: ObjectContext, v: DlmsData[]) => writeDefinableCaptureObjects(ctx.meter, v, meterTime(ctx)),
            capture_period: (ctx: ObjectContext, v: number) => writeDefinableCapturePeriod(ctx.meter, v),
          },
        }
      : {}),
  });
}

const clock = serve({
  object: cosemObject(ClockClass, WellKnownObis.CLOCK),
  public: true,
  get: {
    // DSMR meters send local time with deviation −60 (winter) / −120 (summer) (docs/dlms.md#a-xdr-data); this one UTC.
    time: (ctx) => dateToCosemDateTime(new Date(ctx.now().getTime() + ctx.meter.clockOffsetMs), { deviation: 0, clockStatus: 0 }),
    time_zone: (ctx, o) => { const v = storedValue(ctx.meter, o, 3); return v?.type === 'long' ? v.value : CONFIGURATION_DEFAULTS.timeZone; },
    status: () => 0,
    daylight_savings_begin: (ctx, o) => storedOctets(ctx, o, 5) ?? Buffer.from(CONFIGURATION_DEFAULTS.daylightSavingsBegin, 'hex'),
    daylight_savings_end: (ctx, o) => storedOctets(ctx, o, 6) ?? Buffer.from(CONFIGURATION_DEFAULTS.daylightSavingsEnd, 'hex'),
    daylight_savings_enabled: (ctx, o) => { const v = storedValue(ctx.meter, o, 8); return v?.type === 'boolean' ? v.value : CONFIGURATION_DEFAULTS.daylightSavingsEnabled; },
  },
  set: {
    // Time zone and daylight saving are kept as written (./configuration.ts); the simulated time itself stays UTC.
    time_zone: (ctx, v, o) => (v < -720 || v > 720 ? DataAccessResult.OTHER_REASON : (storeValue(ctx.meter, o, 3, Data.long(v)), DataAccessResult.SUCCESS)),
    daylight_savings_begin: (ctx, v, o) => (v.length !== 12 ? DataAccessResult.OTHER_REASON : (storeValue(ctx.meter, o, 5, Data.octetString(v)), DataAccessResult.SUCCESS)),
    daylight_savings_end: (ctx, v, o) => (v.length !== 12 ? DataAccessResult.OTHER_REASON : (storeValue(ctx.meter, o, 6, Data.octetString(v)), DataAccessResult.SUCCESS)),
    daylight_savings_enabled: (ctx, v, o) => (storeValue(ctx.meter, o, 8, Data.boolean(v)), DataAccessResult.SUCCESS),
    // The meter's time follows what was set: an offset to the host clock (or the test's now()).
    time: (ctx, value) => {
      if (value.length !== 12) return DataAccessResult.TYPE_UNMATCHED;
      let at: number;
      try {
        at = cosemDateTimeToDate(value).getTime();
      } catch {
        return DataAccessResult.OTHER_REASON;
      }
      ctx.meter.clockOffsetMs = at - ctx.now().getTime();
      return DataAccessResult.SUCCESS;
    },
  },
});

const invocationCounter = serve({
  object: cosemObject(DataClass, WellKnownObis.INVOCATION_COUNTER),
  public: true,
  get: { value: (ctx) => Data.doubleLongUnsigned(ctx.meter.icObjectPublishesNext ? ctx.meter.lastClientIc + 1 : ctx.meter.lastClientIc) },
});

const logicalDeviceName = serve({
  object: cosemObject(DataClass, WellKnownObis.LOGICAL_DEVICE_NAME),
  public: true,
  get: { value: (ctx) => Data.octetString(Buffer.from(`MFS${ctx.meter.systemTitle.toString('hex').toUpperCase()}`, 'ascii')) },
});

const equipmentIdentifier = serve({
  object: cosemObject(DataClass, WellKnownObis.EQUIPMENT_IDENTIFIER),
  public: true,
  get: { value: (ctx) => Data.octetString(Buffer.from(ctx.meter.equipmentId, 'ascii')) },
});

const securitySetup = serve({
  object: cosemObject(SecuritySetupClass, WellKnownObis.SECURITY_SETUP),
  get: {
    security_policy: () => 3,
    security_suite: () => 0,
    server_system_title: (ctx) => ctx.meter.systemTitle,
  },
  act: { global_key_transfer: (ctx, keys) => globalKeyTransfer(ctx.meter, Data.array(keys)) },
});

const currentAssociation = serve({
  object: cosemObject(AssociationLnClass, WellKnownObis.CURRENT_ASSOCIATION),
  public: true,
  get: {
    object_list: (ctx) => (encodeObjectList(objectList(ctx), AssociationLnClass.version) as { value: DlmsData[] }).value,
  },
  handledByConnection: ['reply_to_HLS_authentication'],
});

/** An event log (class 7, ./event-logs.ts): buffer with selective access by range or entry, fifo, no capture period. */
function eventLog(supply: EventLogSupply): Served<InterfaceClass> {
  return serve({
    object: supply.definition.log,
    get: {
      buffer: (ctx) => {
        const rows = supply.buffer(ctx.meter, meterTime(ctx), ctx.access);
        return Array.isArray(rows) ? rows : refuse(rows.refused);
      },
      capture_objects: () => supply.captureObjects(),
      capture_period: () => 0,
      sort_method: () => 1,
      entries_in_use: (ctx) => supply.entriesInUse(ctx.meter, meterTime(ctx)),
      profile_entries: () => supply.log.capacity,
    },
  });
}

/**
 * The GSM diagnostic objects (class 47) an SMR 5 meter serves, for GPRS and LTE (docs/gxf.md#device-management).
 * Fixed values (src/simulator/README.md): operator "MFS Mobile", registered home network, circuit switched
 * inactive, packet switched LTE (GPRS for the GPRS object), cell 77001 in location 2230, signal quality 13 (−87 dBm),
 * bit error rate 99 (unknown), MCC 204, MNC 8, channel 1800, one adjacent cell 77002 at quality 9; capture_time is
 * the meter's clock.
 */
function gsmDiagnostic(obis: Obis, packetSwitched: number): Served<InterfaceClass> {
  return serve({
    object: cosemObject(GsmDiagnosticClass, obis),
    get: {
      operator: () => 'MFS Mobile',
      status: () => 1,
      cs_attachment: () => 0,
      ps_status: () => packetSwitched,
      cell_info: () => [
        Data.doubleLongUnsigned(77001), Data.longUnsigned(2230), Data.unsigned(13), Data.unsigned(99),
        Data.longUnsigned(204), Data.longUnsigned(8), Data.doubleLongUnsigned(1800),
      ],
      adjacent_cells: () => [Data.structure([Data.doubleLongUnsigned(77002), Data.unsigned(9)])],
      capture_time: (ctx) => encodeZonedDateTime(meterTime(ctx), 'Europe/Amsterdam'),
    },
  });
}

/** An alarm register (class 1, double-long-unsigned, ./alarms.ts): readable, and writable to clear it. */
function alarmRegister(register: 1 | 2 | 3): Served<InterfaceClass> {
  return serve({
    object: ALARM_REGISTERS[register],
    get: { value: (ctx) => Data.doubleLongUnsigned(alarmRegisterValue(ctx.meter, register)) },
    set: {
      value: (ctx, v) => {
        if (v.type !== 'double-long-unsigned') return DataAccessResult.TYPE_UNMATCHED;
        writeAlarmRegister(ctx.meter, register, v.value);
        return DataAccessResult.SUCCESS;
      },
    },
  });
}

function storedOctets(ctx: ObjectContext, o: CosemObject, attributeId: number): Buffer | undefined {
  const v = storedValue(ctx.meter, o, attributeId);
  return v?.type === 'octet-string' ? v.value : undefined;
}

/** A class 1 configuration value kept in ./configuration.ts: readable, and writable with a value `accepts` takes. */
function configurationData(object: CosemObject<typeof DataClass>, initial: (m: MeterState) => DlmsData, accepts: (v: DlmsData) => number): Served<InterfaceClass> {
  return serve({
    object,
    get: { value: (ctx) => storedValue(ctx.meter, object, 2) ?? initial(ctx.meter) },
    set: {
      value: (ctx, v) => {
        const result = accepts(v);
        if (result === DataAccessResult.SUCCESS) storeValue(ctx.meter, object, 2, v);
        return result;
      },
    },
  });
}

/** SMR 5.1's M-Bus status of a channel (class 4, 0-<ch>:24.2.6.255): the coupled G-meter's status bits, 0 when empty. */
function mbusStatusObject(channel: number): Served<InterfaceClass> {
  return serve({
    object: cosemObject(ExtendedRegisterClass, mbusStatusObis(channel)),
    get: {
      value: (ctx) => Data.doubleLongUnsigned(ctx.meter.channels[channel - 1]?.mbusStatus ?? 0),
      scaler_unit: () => COUNT,
      status: () => Data.unsigned(0),
      capture_time: (ctx) => encodeZonedDateTime(meterTime(ctx), 'Europe/Amsterdam'),
    },
  });
}

/** SMR 5.1's clear status mask of a channel (class 1, 0-<ch>:94.31.10.255): readable and writable (double-long-unsigned). */
function mbusClearStatusMaskObject(channel: number): Served<InterfaceClass> {
  return serve({
    object: cosemObject(DataClass, mbusClearStatusMaskObis(channel)),
    get: { value: (ctx) => Data.doubleLongUnsigned(ctx.meter.mbusClearStatusMask?.[channel] ?? 0) },
    set: {
      value: (ctx, v) => {
        if (v.type !== 'double-long-unsigned') return DataAccessResult.TYPE_UNMATCHED;
        ctx.meter.mbusClearStatusMask = { ...ctx.meter.mbusClearStatusMask, [channel]: v.value };
        return DataAccessResult.SUCCESS;
      },
    },
  });
}

const administrativeInOut = configurationData(ADMINISTRATIVE_IN_OUT, () => Data.enum(CONFIGURATION_DEFAULTS.administrativeStatus), (v) =>
  v.type !== 'enum' ? DataAccessResult.TYPE_UNMATCHED : v.value > 2 ? DataAccessResult.OTHER_REASON : DataAccessResult.SUCCESS);

const alarmFilter = (n: 1 | 2 | 3) => configurationData(ALARM_FILTERS[n], () => Data.doubleLongUnsigned(0), (v) => (v.type === 'double-long-unsigned' ? DataAccessResult.SUCCESS : DataAccessResult.TYPE_UNMATCHED));

const randomisationSettings = configurationData(RANDOMISATION_SETTINGS, defaultRandomisationSettings, (v) => {
  const [w, f, r] = v.type === 'structure' && v.value.length === 3 ? v.value : [];
  return w?.type === 'double-long-unsigned' && f?.type === 'long-unsigned' && r?.type === 'long-unsigned' ? DataAccessResult.SUCCESS : DataAccessResult.TYPE_UNMATCHED;
});

/** A THD setting of SMR 5.2+ (class 3): value as last written (0 until then), writable with its own type only. */
function thdSetting(setting: ThdSetting): Served<InterfaceClass> {
  const su = structureOf(scalerUnitToData({ scaler: 0, unit: setting.unit }));
  return serve({
    object: setting.object,
    get: { value: (ctx) => storedValue(ctx.meter, setting.object, 2) ?? thdValue(setting, 0), scaler_unit: () => su },
    set: {
      value: (ctx, v) => {
        if (v.type !== setting.type) return DataAccessResult.TYPE_UNMATCHED;
        storeValue(ctx.meter, setting.object, 2, v);
        return DataAccessResult.SUCCESS;
      },
    },
  });
}

/** A push setup (class 40): attributes 2..7 kept as written; a malformed object list or destination is type-unmatched. */
function pushSetup(object: CosemObject<typeof PushSetupClass>, udp: boolean): Served<InterfaceClass> {
  const list = (ctx: ObjectContext, id: number, initial: DlmsData[]) => {
    const v = storedValue(ctx.meter, object, id);
    return v?.type === 'array' || v?.type === 'structure' ? v.value : initial;
  };
  const num = (ctx: ObjectContext, id: number, initial: number) => {
    const v = storedValue(ctx.meter, object, id);
    return v && 'value' in v && typeof v.value === 'number' ? v.value : initial;
  };
  const keep = (ctx: ObjectContext, id: number, v: DlmsData, check?: (v: DlmsData) => unknown): number => {
    try {
      check?.(v);
    } catch {
      return DataAccessResult.TYPE_UNMATCHED;
    }
    storeValue(ctx.meter, object, id, v);
    return DataAccessResult.SUCCESS;
  };
  return serve({
    object,
    get: {
      push_object_list: (ctx) => list(ctx, 2, []),
      send_destination_and_method: (ctx) => list(ctx, 3, (defaultSendDestination(ctx.meter, udp) as { value: DlmsData[] }).value),
      communication_window: (ctx) => list(ctx, 4, []),
      randomisation_start_interval: (ctx) => num(ctx, 5, 0),
      number_of_retries: (ctx) => num(ctx, 6, CONFIGURATION_DEFAULTS.pushRetries),
      repetition_delay: (ctx) => num(ctx, 7, CONFIGURATION_DEFAULTS.pushRepetitionDelay),
    },
    set: {
      push_object_list: (ctx, v) => keep(ctx, 2, Data.array(v), pushObjectListOf),
      send_destination_and_method: (ctx, v) => keep(ctx, 3, Data.structure(v), sendDestinationAndMethodOf),
      communication_window: (ctx, v) => keep(ctx, 4, Data.array(v)),
      randomisation_start_interval: (ctx, v) => keep(ctx, 5, Data.longUnsigned(v)),
      number_of_retries: (ctx, v) => keep(ctx, 6, Data.unsigned(v)),
      repetition_delay: (ctx, v) => keep(ctx, 7, Data.longUnsigned(v)),
    },
  });
}

const configurationObjects = (version: 0 | 1): Served<InterfaceClass>[] => [
  administrativeInOut,
  pushSetup(PUSH_SETUP_ALARM, false),
  pushSetup(PUSH_SETUP_SMS, false),
  ...(version === 1 ? [pushSetup(PUSH_SETUP_UDP, true)] : []),
  ...(version === 1 ? ([1, 2, 3] as const) : ([1] as const)).map(alarmFilter),
  randomisationSettings,
];

const gsm = [gsmDiagnostic(GsmDiagnosticObis.GPRS, 1), gsmDiagnostic(GsmDiagnosticObis.LTE, 5)];

/** The firmware version objects (class 1, octet-string text; ./firmware.ts). */
function firmwareVersions(smr5: boolean): Served<InterfaceClass>[] {
  return FIRMWARE_VERSION_OBJECTS.filter((o) => smr5 || !o.smr5Only).map((o) => serve({
    object: o.object,
    get: { value: (ctx) => Data.octetString(Buffer.from(firmwareOf(ctx.meter).versions[o.type], 'utf8')) },
  }));
}

/** An M-Bus device's simple version info (SMR 5, class 4 value octet-string; ./firmware.ts); empty channel: undefined object. */
function simpleVersion(channel: number): Served<InterfaceClass> {
  return serve({
    object: mbusSimpleVersionInfo(channel),
    get: {
      value: (ctx) => {
        const g = ctx.meter.channels[channel - 1];
        return g ? Data.octetString(simpleVersionInfo(g)) : refuse(DataAccessResult.OBJECT_UNDEFINED);
      },
      scaler_unit: () => [Data.integer(0), Data.enum(Unit.COUNT)],
    },
  });
}

/** Image transfer, class 18 (./firmware.ts). */
const imageTransferObject = serve({
  object: imageTransfer.object,
  get: {
    image_block_size: (ctx) => imageTransfer.blockSize(ctx.meter),
    image_transferred_blocks_status: (ctx) => imageTransfer.blocksStatus(ctx.meter),
    image_first_not_transferred_block_number: (ctx) => imageTransfer.firstNotTransferred(ctx.meter),
    image_transfer_enabled: (ctx) => imageTransfer.enabled(ctx.meter),
    image_transfer_status: (ctx) => imageTransfer.status(ctx.meter),
    image_to_activate_info: (ctx) => imageTransfer.toActivateInfo(ctx.meter).map((i) => Data.structure([Data.doubleLongUnsigned(i.size), Data.octetString(i.identifier), Data.octetString(i.signature)])),
  },
  set: { image_transfer_enabled: (ctx, v) => imageTransfer.setEnabled(ctx.meter, v) },
  act: {
    image_transfer_initiate: (ctx, p) => imageTransfer.initiate(ctx.meter, Data.structure(p)),
    image_block_transfer: (ctx, p) => imageTransfer.block(ctx.meter, Data.structure(p)),
    image_verify: (ctx) => imageTransfer.verify(ctx.meter),
    image_activate: (ctx) => imageTransfer.activate(ctx.meter),
  },
});

/** The configuration object (./configuration-object.ts): its layout follows the meter's profile. */
const configurationObject = serve({
  object: cosemObject(DataClass, CONFIGURATION_OBJECT_OBIS),
  get: { value: (ctx) => readConfigurationObject(ctx.meter) },
  set: { value: (ctx, v) => writeConfigurationObject(ctx.meter, v) },
});

/** The special days table (./calendar.ts). */
const specialDaysTable = serve({
  object: cosemObject(SpecialDaysTableClass, SPECIAL_DAYS_TABLE_OBIS),
  get: { entries: (ctx) => readSpecialDays(ctx.meter) },
  set: { entries: (ctx, v) => writeSpecialDays(ctx.meter, v) },
  act: {
    insert: (ctx, entry) => ({ result: insertSpecialDay(ctx.meter, Data.structure(entry)) }),
    delete: (ctx, index) => ({ result: deleteSpecialDay(ctx.meter, index) }),
  },
});

/** The activity calendar (./calendar.ts). */
const activityCalendar = serve({
  object: cosemObject(ActivityCalendarClass, ACTIVITY_CALENDAR_OBIS),
  get: {
    calendar_name_active: (ctx) => calendarOf(ctx.meter).active.name,
    season_profile_active: (ctx) => calendarOf(ctx.meter).active.seasons,
    week_profile_table_active: (ctx) => calendarOf(ctx.meter).active.weeks,
    day_profile_table_active: (ctx) => calendarOf(ctx.meter).active.days,
    calendar_name_passive: (ctx) => calendarOf(ctx.meter).passive.name,
    season_profile_passive: (ctx) => calendarOf(ctx.meter).passive.seasons,
    week_profile_table_passive: (ctx) => calendarOf(ctx.meter).passive.weeks,
    day_profile_table_passive: (ctx) => calendarOf(ctx.meter).passive.days,
    activate_passive_calendar_time: (ctx) => calendarOf(ctx.meter).activateTime,
  },
  set: {
    calendar_name_passive: (ctx, v) => ((calendarOf(ctx.meter).passive.name = Buffer.from(v)), DataAccessResult.SUCCESS),
    season_profile_passive: (ctx, v) => writePassiveTable(ctx.meter, 'seasons', v),
    week_profile_table_passive: (ctx, v) => writePassiveTable(ctx.meter, 'weeks', v),
    day_profile_table_passive: (ctx, v) => writePassiveTable(ctx.meter, 'days', v),
    activate_passive_calendar_time: (ctx, v) => {
      if (v.length !== 12) return DataAccessResult.TYPE_UNMATCHED;
      calendarOf(ctx.meter).activateTime = Buffer.from(v);
      return DataAccessResult.SUCCESS;
    },
  },
  act: { activate_passive_calendar: (ctx) => ({ result: activatePassiveCalendar(ctx.meter) }) },
});

/** One table per class 72 version, built once and shared by every simulated meter. */
function table(version: 0 | 1): ReadonlyMap<number, Served<InterfaceClass>> {
  const profile = version === 1 ? 'smr5' : 'dsmr4';
  const all = [invocationCounter, clock, logicalDeviceName, equipmentIdentifier, currentAssociation, securitySetup, ...[1, 2, 3, 4].map((ch) => mbusClientSetup(ch, version)),
    ...energy, ...[1, 2, 3, 4].map(mbusMasterValue), ...loadProfiles(profile).map(loadProfile),
    ...(version === 1 ? [1, 2, 3, 4].map(hourlyMbusValueObject) : []), ...(version === 1 ? gsm : []),
    ...(version === 1 ? [1, 2, 3, 4].flatMap((ch) => [mbusStatusObject(ch), mbusClearStatusMaskObject(ch)]) : []),
    ...eventLogsOf(profile).map(eventLog), ...alarmRegisterNumbers({ profile } as MeterState).map((r) => alarmRegister(r as 1 | 2 | 3)),
    ...firmwareVersions(version === 1), imageTransferObject, ...(version === 1 ? [1, 2, 3, 4].map(simpleVersion) : []),
    ...powerQualityObjects(pqFamilyOf({ profile } as MeterState)).map(powerQualityObject), ...powerQualityProfiles(pqFamilyOf({ profile } as MeterState)).map(powerQualityProfile),
    ...configurationObjects(version), ...(version === 1 ? THD_CONFIGURATION.map(thdSetting) : []),
    configurationObject, specialDaysTable, activityCalendar];
  return new Map(all.map((s) => [key(s.object.obis), s]));
}

function key(obis: Obis): number {
  return obis.bytes.readUIntBE(0, 6);
}

const TABLES = { 0: table(0), 1: table(1) } as const;

function servedObjects(meter: MeterState): ReadonlyMap<number, Served<InterfaceClass>> {
  return TABLES[mbusClassVersion(meter)];
}

// ---------------------------------------------------------------------------------------------------------------
// Access, derived from the declaration and what is supplied

function attributeAccess(ctx: ObjectContext, s: Served<InterfaceClass>, a: AttributeDef): Access {
  const supplied: Access = a.id === 1 || (s.get as Record<string, unknown>)[a.name] ? (s.set as Record<string, unknown> | undefined)?.[a.name] ? 'read-write' : 'read' : (s.set as Record<string, unknown> | undefined)?.[a.name] ? 'write' : 'none';
  const access = intersectAccess(a.access, supplied);
  if (ctx.clientSap === 1) return access;
  return s.public ? intersectAccess(access, 'read') : 'none';
}

function methodAccess(ctx: ObjectContext, s: Served<InterfaceClass>, m: MethodDef): number {
  if (ctx.clientSap !== 1) return 0;
  return (s.act as Record<string, unknown> | undefined)?.[m.name] || (s.handledByConnection as readonly string[] | undefined)?.includes(m.name) ? 1 : 0;
}

/** The current association's object_list: what this client may see, with the access it has. */
export function objectList(ctx: ObjectContext): ObjectListElement[] {
  const out: ObjectListElement[] = [];
  for (const s of servedObjects(ctx.meter).values()) {
    if (ctx.clientSap !== 1 && !s.public) continue;
    const attrs = new Map(s.object.cls.attributes.map((a) => [a.id, a]));
    const methods = new Map(s.object.cls.methods.map((m) => [m.id, m]));
    // A profile's buffer takes selective access by range (1) and entry (2) descriptor.
    const selectors = s.object.cls.classId === ProfileGenericClass.classId ? (id: number) => (attrs.get(id)!.name === 'buffer' ? [AccessSelector.RANGE, AccessSelector.ENTRY] : []) : undefined;
    out.push(objectListElement(s.object, (id) => attributeAccess(ctx, s, attrs.get(id)!), (id) => methodAccess(ctx, s, methods.get(id)!), selectors));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// GET, SET, ACTION

const ok = (data: DlmsData): GetDataResult => ({ kind: 'data', data });
const err = (result: number): GetDataResult => ({ kind: 'error', result });

function find(ctx: ObjectContext, classId: number, obis: Obis): Served<InterfaceClass> | undefined {
  const s = servedObjects(ctx.meter).get(key(obis));
  return s && s.object.cls.classId === classId ? s : undefined;
}

export function getAttribute(ctx: ObjectContext, a: AttributeDescriptor, access?: AccessSelection): GetDataResult {
  const any = servedObjects(ctx.meter).get(key(a.instance));
  if (ctx.clientSap !== 1 && !any?.public) return err(DataAccessResult.READ_WRITE_DENIED);
  const s = find(ctx, a.classId, a.instance);
  if (!s) return err(DataAccessResult.OBJECT_UNDEFINED);
  const def = s.object.cls.attributes.find((x) => x.id === a.attributeId);
  if (!def) return err(DataAccessResult.OBJECT_UNDEFINED);
  if (def.id === 1) return ok(Data.octetString(s.object.obis.bytes));
  const supply = (s.get as Record<string, ((ctx: ObjectContext, o: CosemObject) => unknown) | undefined>)[def.name];
  if (!supply) return err(DataAccessResult.OBJECT_UNDEFINED);
  if (!canRead(attributeAccess(ctx, s, def))) return err(DataAccessResult.READ_WRITE_DENIED);
  // Selective access is for profile buffers only (IEC 62056-6-2); elsewhere it is refused.
  if (access && !(s.object.cls.classId === ProfileGenericClass.classId && def.name === 'buffer')) return err(DataAccessResult.OTHER_REASON);
  const v = supply(access ? { ...ctx, access } : ctx, s.object);
  if (isRefused(v)) return err(v.refused);
  return ok(dataOf(def.type, v as never, `${s.object.cls.name} ${def.name}`)!);
}

export function setAttribute(ctx: ObjectContext, a: AttributeDescriptor, value: DlmsData): number {
  if (ctx.clientSap !== 1) return DataAccessResult.READ_WRITE_DENIED;
  const s = find(ctx, a.classId, a.instance);
  if (!s) return DataAccessResult.OBJECT_UNDEFINED;
  const def = s.object.cls.attributes.find((x) => x.id === a.attributeId);
  if (!def) return DataAccessResult.OBJECT_UNDEFINED;
  const setter = (s.set as Record<string, ((ctx: ObjectContext, v: unknown, o: CosemObject) => number) | undefined> | undefined)?.[def.name];
  if (!setter || !canWrite(attributeAccess(ctx, s, def))) return DataAccessResult.READ_WRITE_DENIED;
  if (!matchesType(def.type, value)) return DataAccessResult.TYPE_UNMATCHED;
  return setter(ctx, valueOf(def.type, value, def.name), s.object);
}

export function invokeMethod(ctx: ObjectContext, md: MethodDescriptor, params: DlmsData | undefined): ActionOutcome {
  if (ctx.clientSap !== 1) return { result: ActionResult.READ_WRITE_DENIED };
  const s = find(ctx, md.classId, md.instance);
  if (!s) return { result: ActionResult.OBJECT_UNDEFINED };
  const def = s.object.cls.methods.find((x) => x.id === md.methodId);
  const run = def && (s.act as Record<string, ((ctx: ObjectContext, p: unknown, o: CosemObject) => ActionOutcome) | undefined> | undefined)?.[def.name];
  if (!def || !run) return { result: ActionResult.OBJECT_UNDEFINED };
  if (def.parameter === undefined ? params !== undefined && params.type !== 'null-data' : !matchesType(def.parameter, params)) return { result: ActionResult.TYPE_UNMATCHED };
  return run(ctx, def.parameter === undefined ? undefined : valueOf(def.parameter, params!, def.name), s.object);
}

/** Unwraps the blob with the G-meter's Default key in the gateway profile's format (docs/dlms.md#transfer-key-blob). */
function transferKey(m: MeterState, g: GMeterState, blob: Buffer): ActionOutcome {
  try {
    if (m.profile === 'dsmr4') {
      if (blob.length !== 16) return { result: ActionResult.OTHER_REASON };
      g.transferredKey = unwrapDsmr4TransferKey(g.defaultKey, blob);
    } else {
      if (blob.length !== 30) return { result: ActionResult.OTHER_REASON };
      const r = unwrapSmr5TransferKey({ defaultKey: g.defaultKey, blob, identificationNumber: g.identification, manufacturerId: manufacturerToId(g.manufacturer) });
      if (r.keyId !== 0) return { result: ActionResult.OTHER_REASON };
      g.transferredKey = r.key;
    }
    return { result: ActionResult.SUCCESS };
  } catch (e) {
    if (isMeterfabricError(e)) return { result: ActionResult.OTHER_REASON };
    throw e;
  }
}

/** Class 64 method 2: unwrap under the master key; the new keys apply after the response (docs/dlms.md#global-key-transfer-class-64). */
function globalKeyTransfer(m: MeterState, params: DlmsData): ActionOutcome {
  let keys: { keyId: number; key: Buffer }[];
  try {
    keys = unwrapGlobalKeyTransfer(m.keys.mk, params);
  } catch {
    return { result: ActionResult.OTHER_REASON };
  }
  if (keys.some((k) => k.keyId === GlobalKeyId.GLOBAL_BROADCAST_ENCRYPTION_KEY)) return { result: ActionResult.OTHER_REASON };
  return {
    result: ActionResult.SUCCESS,
    afterResponse: () => {
      for (const k of keys) {
        if (k.keyId === GlobalKeyId.GLOBAL_UNICAST_ENCRYPTION_KEY) {
          // A new global unicast key restarts both invocation counters that belong to it (DLMS UA Green Book,
          // security setup: the counters are reset when a new key is set; docs/dlms.md#global-key-transfer-class-64).
          if (!k.key.equals(m.keys.ek)) {
            m.lastClientIc = 0;
            m.meterIc = 1;
          }
          m.keys.ek = k.key;
        } else if (k.keyId === GlobalKeyId.AUTHENTICATION_KEY) m.keys.ak = k.key;
        else if (k.keyId === GlobalKeyId.MASTER_KEY) m.keys.mk = k.key;
      }
    },
  };
}

/**
 * scaler_unit of the register classes (class 3 register and class 4 extended register, attribute 3:
 * structure{ integer scaler, enum unit }, IEC 62056-6-2 / Blue Book "Register"), the unit enumeration, exact
 * decimal scaling, GXF's unit names and the capture time of class 4 (attribute 5). See docs/dlms.md#scaler-unit.
 */
import { type DlmsData, Data, integerOf } from './axdr.ts';
import { decodeError, encodeError } from './bytes.ts';
import { type CosemDateTime, dateTimeFromData } from './date-time.ts';

export interface ScalerUnit {
  /** Power of ten: value = raw × 10^scaler (−128..127). */
  scaler: number;
  /** Unit enumeration (`Unit`), 1..255. */
  unit: number;
}

/**
 * The unit enumeration of the Blue Book (IEC 62056-6-2, "Enumeration of units"), by code. Energy is in Wh (with a
 * scaler of 3 for kWh), not in kWh. Codes not listed here are still carried as numbers.
 */
export const Unit = {
  YEAR: 1,
  MONTH: 2,
  WEEK: 3,
  DAY: 4,
  HOUR: 5,
  MINUTE: 6,
  SECOND: 7,
  DEGREE: 8,
  DEGREE_CELSIUS: 9,
  CURRENCY: 10,
  METRE: 11,
  METRE_PER_SECOND: 12,
  CUBIC_METRE: 13,
  CUBIC_METRE_CORRECTED: 14,
  CUBIC_METRE_PER_HOUR: 15,
  CUBIC_METRE_PER_HOUR_CORRECTED: 16,
  CUBIC_METRE_PER_DAY: 17,
  CUBIC_METRE_PER_DAY_CORRECTED: 18,
  LITRE: 19,
  KILOGRAM: 20,
  NEWTON: 21,
  NEWTON_METRE: 22,
  PASCAL: 23,
  BAR: 24,
  JOULE: 25,
  JOULE_PER_HOUR: 26,
  WATT: 27,
  VOLT_AMPERE: 28,
  VAR: 29,
  WATT_HOUR: 30,
  VOLT_AMPERE_HOUR: 31,
  VAR_HOUR: 32,
  AMPERE: 33,
  COULOMB: 34,
  VOLT: 35,
  VOLT_PER_METRE: 36,
  FARAD: 37,
  OHM: 38,
  OHM_SQUARE_METRE_PER_METRE: 39,
  WEBER: 40,
  TESLA: 41,
  AMPERE_PER_METRE: 42,
  HENRY: 43,
  HERTZ: 44,
  PER_WATT_HOUR: 45,
  PER_VAR_HOUR: 46,
  PER_VOLT_AMPERE_HOUR: 47,
  VOLT_SQUARED_HOUR: 48,
  AMPERE_SQUARED_HOUR: 49,
  KILOGRAM_PER_SECOND: 50,
  SIEMENS: 51,
  KELVIN: 52,
  PER_VOLT_SQUARED_HOUR: 53,
  PER_AMPERE_SQUARED_HOUR: 54,
  PER_CUBIC_METRE: 55,
  PERCENT: 56,
  AMPERE_HOUR: 57,
  WATT_HOUR_PER_CUBIC_METRE: 60,
  JOULE_PER_CUBIC_METRE: 61,
  MOLE_PERCENT: 62,
  GRAM_PER_CUBIC_METRE: 63,
  PASCAL_SECOND: 64,
  JOULE_PER_KILOGRAM: 65,
  GRAM_PER_SQUARE_CENTIMETRE: 66,
  ATMOSPHERE: 67,
  DBM: 70,
  DB_MICROVOLT: 71,
  DB: 72,
  RESERVED: 253,
  OTHER: 254,
  COUNT: 255,
} as const;

/** The usual symbols, for logs and the console ("Wh", "m³", "V" …). */
const SYMBOLS: Record<number, string> = {
  1: 'a', 2: 'mo', 3: 'wk', 4: 'd', 5: 'h', 6: 'min', 7: 's', 8: '°', 9: '°C', 10: 'currency', 11: 'm', 12: 'm/s',
  13: 'm³', 14: 'm³ (corr.)', 15: 'm³/h', 16: 'm³/h (corr.)', 17: 'm³/d', 18: 'm³/d (corr.)', 19: 'l', 20: 'kg',
  21: 'N', 22: 'Nm', 23: 'Pa', 24: 'bar', 25: 'J', 26: 'J/h', 27: 'W', 28: 'VA', 29: 'var', 30: 'Wh', 31: 'VAh',
  32: 'varh', 33: 'A', 34: 'C', 35: 'V', 36: 'V/m', 37: 'F', 38: 'Ω', 39: 'Ωm²/m', 40: 'Wb', 41: 'T', 42: 'A/m',
  43: 'H', 44: 'Hz', 45: '1/Wh', 46: '1/varh', 47: '1/VAh', 48: 'V²h', 49: 'A²h', 50: 'kg/s', 51: 'S', 52: 'K',
  53: '1/V²h', 54: '1/A²h', 55: '1/m³', 56: '%', 57: 'Ah', 60: 'Wh/m³', 61: 'J/m³', 62: 'mol%', 63: 'g/m³',
  64: 'Pa·s', 65: 'J/kg', 66: 'g/cm²', 67: 'atm', 70: 'dBm', 71: 'dBµV', 72: 'dB', 255: '',
};

export function unitSymbol(unit: number): string {
  return SYMBOLS[unit] ?? `unit ${unit}`;
}

/**
 * GXF's unit names (OsgpUnitType in base-ws-smartmetering.xsd, osgp/shared/osgp-ws-smartmetering), by Blue Book
 * code: the XSD lists them in the order of the enumeration, with gaps where GXF has no name (14 m³ corrected,
 * 66, 67). Code 30 (Wh) is named KWH because GXF reports energy in kWh (see `meterReadValue`).
 */
const OSGP_UNITS: Record<number, string> = {
  0: 'UNDEFINED', 1: 'Y', 2: 'MO', 3: 'WK', 4: 'D', 5: 'H', 6: 'MIN', 7: 'SD', 8: 'DEGREE', 9: 'DEGREE_CELCIUS',
  10: 'CURRENCY', 11: 'M', 12: 'METER_PER_SECOND', 13: 'M3', 15: 'M3_FLUX', 16: 'M3_FLUX_CORR', 17: 'VOLUME_FLUX',
  18: 'VOLUME_FLUX_CORR', 19: 'L', 20: 'KILOGRAM', 21: 'NEWTON', 22: 'NEWTON_METER', 23: 'PASCAL', 24: 'BAR', 25: 'J',
  26: 'JOULE_PER_HOUR', 27: 'W', 28: 'VOLT_AMPERE', 29: 'VAR', 30: 'KWH', 31: 'VOLT_AMP_HOUR', 32: 'VAR_HOUR',
  33: 'AMP', 34: 'COULOMB', 35: 'V', 36: 'VOLT_PER_METER', 37: 'FARAD', 38: 'O', 39: 'RESTISTIVITY', 40: 'WEBER',
  41: 'TESLA', 42: 'AMP_PER_METER', 43: 'HENRY', 44: 'HERTZ', 45: 'ACTIVE_ENERGY', 46: 'REACTIVE_ENERGY',
  47: 'APPARENT_ENERGY', 48: 'VOLT_SQUARED_HOURS', 49: 'AMP_SQUARED_HOURS', 50: 'KG_PER_SECOND', 51: 'SIEMENS',
  52: 'KELVIN', 53: 'VOLT_PULSE_VALUE', 54: 'AMP_PULSE_VALUE', 55: 'VOLUME', 56: 'PERCENTAGE', 57: 'AMP_HOUR',
  60: 'ENGERY', 61: 'WOBBE', 62: 'MOLE_PERCENT', 63: 'MASS_DENSITY', 64: 'PASCAL_SECOND', 65: 'JOULE_KG',
  70: 'DB_MILLIWAT', 71: 'DB_MICROVOLT', 72: 'DB', 255: 'COUNT',
};

/** GXF's OsgpUnitType name of a Blue Book unit code; UNDEFINED where GXF has none. */
export function osgpUnitName(unit: number): string {
  return OSGP_UNITS[unit] ?? 'UNDEFINED';
}

// ---------------------------------------------------------------------------------------------------------------
// scaler_unit Data

const INTEGER_TYPES = new Set(['integer', 'long', 'unsigned', 'long-unsigned', 'double-long', 'double-long-unsigned', 'enum']);

/**
 * Decodes attribute 3 of class 3/4: a structure of exactly two elements, the scaler (`integer`; other integer
 * types are accepted when the value fits −128..127) and the unit (`enum`; also `unsigned`). Unit 0 is refused, as
 * GXF refuses it (DlmsHelper#getScalerUnit): a register without a unit cannot be reported.
 */
export function decodeScalerUnit(d: DlmsData, what = 'scaler_unit'): ScalerUnit {
  if (d.type !== 'structure') throw decodeError(`${what}: expected a structure, got ${d.type}`);
  if (d.value.length !== 2) throw decodeError(`${what}: expected 2 elements, got ${d.value.length}`);
  const [s, u] = d.value as [DlmsData, DlmsData];
  if (!INTEGER_TYPES.has(s.type)) throw decodeError(`${what}: scaler must be an integer, got ${s.type}`);
  const scaler = (s as { value: number }).value;
  if (scaler < -128 || scaler > 127) throw decodeError(`${what}: scaler ${scaler} is outside −128..127`);
  if (u.type !== 'enum' && u.type !== 'unsigned') throw decodeError(`${what}: unit must be an enum, got ${u.type}`);
  if (u.value === 0) throw decodeError(`${what}: unit 0 is not a unit`);
  return { scaler, unit: u.value };
}

export function scalerUnitToData(s: ScalerUnit): DlmsData {
  if (!Number.isInteger(s.scaler) || s.scaler < -128 || s.scaler > 127) throw encodeError(`scaler ${s.scaler} is outside −128..127`);
  if (!Number.isInteger(s.unit) || s.unit < 1 || s.unit > 255) throw encodeError(`unit ${s.unit} is outside 1..255`);
  return Data.structure([Data.integer(s.scaler), Data.enum(s.unit)]);
}

// ---------------------------------------------------------------------------------------------------------------
// Exact decimals: an unscaled integer and a number of fraction digits (like Java's BigDecimal, never a float).

export interface Decimal {
  unscaled: bigint;
  /** Digits after the decimal point (≥ 0). */
  scale: number;
}

/** raw × 10^scaler exactly; the scale is −scaler when negative (12345, −3 → 12.345; 10000, −3 → 10.000). */
export function scaleValue(raw: bigint | number, scaler: number): Decimal {
  const r = toBigInt(raw);
  if (!Number.isInteger(scaler) || scaler < -128 || scaler > 127) throw encodeError(`scaler ${scaler} is outside −128..127`);
  if (scaler >= 0) return { unscaled: r * 10n ** BigInt(scaler), scale: 0 };
  return { unscaled: r, scale: -scaler };
}

function toBigInt(raw: bigint | number): bigint {
  if (typeof raw === 'bigint') return raw;
  if (!Number.isSafeInteger(raw)) throw encodeError(`register value ${raw} is not an exact integer`);
  return BigInt(raw);
}

/** Plain decimal text: "12.345", "-0.05", "10.000", "1200" (no exponent, trailing zeros kept). */
export function decimalToString(d: Decimal): string {
  const neg = d.unscaled < 0n;
  const digits = (neg ? -d.unscaled : d.unscaled).toString();
  if (d.scale === 0) return (neg ? '-' : '') + digits;
  const padded = digits.padStart(d.scale + 1, '0');
  return `${neg ? '-' : ''}${padded.slice(0, -d.scale)}.${padded.slice(-d.scale)}`;
}

/** `scaleValue` as text: `scaledValueString(12345, -3)` = "12.345". */
export function scaledValueString(raw: bigint | number, scaler: number): string {
  return decimalToString(scaleValue(raw, scaler));
}

/** Integer value of a register's Data (any integer type, also 64-bit); null-data → null. */
export function registerRaw(d: DlmsData, what = 'register value'): bigint | null {
  if (d.type === 'null-data') return null;
  const n = integerOf(d);
  if (n !== undefined) return n;
  throw decodeError(`${what}: expected an integer, got ${d.type}`);
}

/**
 * A meter read as GXF reports it (osgp/platform/osgp-adapter-domain-smartmetering/.../DlmsMeterValueConverter.java):
 * Wh becomes KWH (value × 0.001, the scale growing by 3), m³ stays M3, m³ corrected and units GXF cannot name are
 * reported as UNDEFINED with the value unchanged. Any other unit is not a meter read: ENCODE_ERROR.
 */
export function meterReadValue(raw: bigint | number, su: ScalerUnit): { value: Decimal; unit: string } {
  const v = scaleValue(raw, su.scaler);
  switch (su.unit) {
    case Unit.WATT_HOUR:
      return { value: { unscaled: v.unscaled, scale: v.scale + 3 }, unit: 'KWH' };
    case Unit.CUBIC_METRE:
      return { value: v, unit: 'M3' };
    case Unit.CUBIC_METRE_CORRECTED:
      return { value: v, unit: 'UNDEFINED' };
    default:
      throw encodeError(`a meter read in ${unitSymbol(su.unit)} (unit ${su.unit}) is not supported`);
  }
}

/** Capture time of a class 4 extended register (attribute 5): octet-string(12) or date-time; null-data → null. */
export function decodeCaptureTime(d: DlmsData): CosemDateTime | null {
  return dateTimeFromData(d, 'capture_time');
}

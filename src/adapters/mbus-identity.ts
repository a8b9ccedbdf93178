/**
 * Which gas meter a gateway's report names. A gateway reports, per M-Bus channel, the identity of the device it
 * sees (identification number + manufacturer); the gateway is not trusted to say which inventory device that is:
 * any meter can report any identity. The device with that identity (unique in the inventory) is used only when
 * - the calling organisation may perform the operation on it (its own authorisations, as for the gateway), and
 * - it is uncoupled, or coupled to this very gateway and channel.
 * Otherwise the operation ends with a functional error before anything changes: no coupling moved, no device
 * decoupled, no key generated or filed.
 */
import { ErrorCode } from '../errors.ts';
import type { ChannelElementValues, ExecutorDeps, MbusDeviceRecord } from './ports.ts';
import { functional, isEmptyChannel } from './mbus-keys.ts';

export type ReportedDevice =
  /** May be used: the caller may act on it, and it is uncoupled or coupled to this gateway and channel. */
  | { kind: 'usable'; mbus: MbusDeviceRecord }
  /** No device with that identity, or one the caller may not act on: the two look the same to the caller. */
  | { kind: 'none' }
  /** The caller's device, but coupled to another gateway or channel. */
  | { kind: 'elsewhere'; mbus: MbusDeviceRecord };

export async function reportedMbusDevice(
  deps: ExecutorDeps,
  organisation: string,
  deviceFunction: string,
  gateway: string,
  channel: number,
  values: ChannelElementValues,
): Promise<ReportedDevice> {
  if (isEmptyChannel(values)) return { kind: 'none' };
  const mbus = await deps.inventory.findMbusDeviceByIdentity(values.identificationNumber, values.manufacturerIdentification);
  if (!mbus || !(await deps.inventory.mayActOn(organisation, mbus.deviceIdentification, deviceFunction))) return { kind: 'none' };
  if (mbus.gatewayDeviceIdentification === undefined || mbus.gatewayDeviceIdentification === null) return { kind: 'usable', mbus };
  if (mbus.gatewayDeviceIdentification === gateway && mbus.channel === channel) return { kind: 'usable', mbus };
  return { kind: 'elsewhere', mbus };
}

/**
 * GXF's 216 GIVEN_MBUS_DEVICE_ALREADY_COUPLED: the reported device is coupled elsewhere in the inventory, so using
 * it here would move it silently. The operator decouples it first (DecoupleMbusDevice) or couples it with Force.
 */
export function coupledElsewhere(mbus: MbusDeviceRecord, gateway: string, channel: number) {
  return functional(
    ErrorCode.GIVEN_MBUS_DEVICE_ALREADY_COUPLED,
    `M-Bus device ${mbus.deviceIdentification}, reported on channel ${channel} of ${gateway}, is coupled to ${mbus.gatewayDeviceIdentification} channel ${mbus.channel} in the inventory; decouple it there first`,
    'DOMAIN_SMART_METERING',
  );
}

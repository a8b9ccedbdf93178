/**
 * Pushes from a simulated gateway to a head-end (docs/push.md#formats): DSMR 4.2.2 raw alarm, SMR5 plaintext
 * data-notification in a WRAPPER, or SMR5 ciphered with general-glo-ciphering under the meter's own keys.
 * Used by `meterfabric simulate` (install a G-meter at run time, then push "new M-Bus device on channel x").
 */
import net from 'node:net';
import dgram from 'node:dgram';
import { gloProtect } from '../dlms/security/glo.ts';
import { MeterfabricError, ErrorCode } from '../errors.ts';
import type { MeterState } from './meter.ts';

export type PushFormat = 'dsmr4' | 'smr5' | 'smr5-ciphered';

export interface PushTarget {
  host: string;
  port: number;
  transport?: 'tcp' | 'udp';
}

/** Alarm register 1 bit of NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_x (docs/push.md#alarm-registers). */
export function newMbusDeviceAlarm(channel: number): number {
  if (!Number.isInteger(channel) || channel < 1 || channel > 4) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `M-Bus channel must be 1..4, got ${channel}`);
  return (1 << (23 + channel)) >>> 0;
}

function equipmentId(meter: MeterState): Buffer {
  const id = Buffer.from(meter.equipmentId, 'latin1');
  if (id.length !== 17) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `equipment identifier must be 17 characters, got ${id.length}`);
  return id;
}

/** The bytes of one alarm push. Ciphered pushes consume one meter invocation counter. */
export function alarmPushBytes(meter: MeterState, format: PushFormat, alarmRegister1: number): Buffer {
  const id = equipmentId(meter);
  const register = Buffer.alloc(4);
  register.writeUInt32BE(alarmRegister1 >>> 0);
  if (format === 'dsmr4') return Buffer.concat([id, Buffer.from([0x2c]), register]);
  // data-notification: long-invoke-id, empty date-time, structure{equipment id, push setup LN 0-1:25.9.0.255, register}
  const notification = Buffer.concat([
    Buffer.from([0x0f, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x03, 0x09, 0x11]),
    id,
    Buffer.from([0x09, 0x06, 0x00, 0x01, 0x19, 0x09, 0x00, 0xff, 0x06]),
    register,
  ]);
  let apdu = notification;
  if (format === 'smr5-ciphered') {
    const ic = meter.meterIc++;
    const content = gloProtect({ plaintext: notification, systemTitle: meter.systemTitle, invocationCounter: ic, keys: { ek: meter.keys.ek, ak: meter.keys.ak }, securityControl: 0x30 });
    const body = Buffer.concat([Buffer.from([0x30, ic >>> 24, (ic >>> 16) & 0xff, (ic >>> 8) & 0xff, ic & 0xff]), content]);
    if (body.length > 0xff) throw new MeterfabricError(ErrorCode.ENCODE_ERROR, 'ciphered push too long');
    apdu = Buffer.concat([Buffer.from([0xdb, 0x08]), meter.systemTitle, body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]), body]);
  }
  const header = Buffer.from([0x00, 0x01, 0x00, 0x01, 0x00, 0x66, apdu.length >> 8, apdu.length & 0xff]);
  return Buffer.concat([header, apdu]);
}

/** Sends one push and closes (TCP) or sends one datagram (UDP). */
export async function sendPush(bytes: Buffer, target: PushTarget): Promise<void> {
  if (target.transport === 'udp') {
    const socket = dgram.createSocket('udp4');
    try {
      await new Promise<void>((resolve, reject) => socket.send(bytes, target.port, target.host, (e) => (e ? reject(e) : resolve())));
    } finally {
      socket.close();
    }
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const s = net.connect(target.port, target.host, () => s.end(bytes));
    s.setTimeout(10_000, () => s.destroy(new Error('push connection timed out')));
    s.on('error', reject);
    s.on('close', () => resolve());
  });
}

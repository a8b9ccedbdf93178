/** Shared setup for client <-> simulator tests over loopback TCP. */
import { DlmsSession, type ManagementOptions } from '../../src/session/client.ts';
import { MemoryInvocationCounterStore } from '../../src/session/invocation-counter.ts';
import { SimulatedMeter } from '../../src/simulator/simulator.ts';
import { TEST_KEYS } from '../../src/simulator/meter.ts';
import type { FramingKind } from '../../src/transport/transport.ts';

export const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
export const CLIENT_TITLE = hex('2020200000000001');
export const NEW_USER_KEY = hex('00112233445566778899AABBCCDDEEFF');
export const DEFAULT_KEY = hex(TEST_KEYS.gMeterDefaultKey);

export function managementOptions(meter: SimulatedMeter, extra: Partial<ManagementOptions> = {}): ManagementOptions {
  return {
    host: '127.0.0.1',
    port: meter.port,
    framing: meter.framing,
    deviceId: 'E0000001',
    clientSystemTitle: CLIENT_TITLE,
    ek: hex(TEST_KEYS.ek),
    ak: hex(TEST_KEYS.ak),
    invocationCounters: new MemoryInvocationCounterStore(),
    connectTimeoutMs: 2000,
    responseTimeoutMs: 2000,
    ...extra,
  };
}

export async function withMeter<T>(framing: FramingKind, profile: 'smr5' | 'dsmr4', body: (m: SimulatedMeter) => Promise<T>, options: Partial<Parameters<typeof SimulatedMeter.start>[0]> = {}): Promise<T> {
  const meter = await SimulatedMeter.start({ port: 0, framing, profile, ...options });
  try {
    return await body(meter);
  } finally {
    await meter.close();
  }
}

export { DlmsSession };

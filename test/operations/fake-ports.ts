/** Fake ports for operation unit tests: a link that records every call, an inventory with one E-meter. */
import type { GatewayLink, MbusDeviceRecord, MeterValues, ObjectListElement, RegisterRef } from '../../src/adapters/ports.ts';
import type { OperationContext, OperationPorts } from '../../src/operations/define.ts';

export interface Recorder {
  calls: string[];
  clock: Buffer[];
  timezones: [string, string][];
  reads: { clock: boolean; registers: readonly RegisterRef[] }[];
}

export interface FakePortOptions {
  now?: Date;
  setClock?: () => Promise<void>;
  objectList?: ObjectListElement[];
  /** What readMeterValues answers (the requests are recorded in `rec.reads`). */
  meterValues?: (request: { clock: boolean; registers: readonly RegisterRef[] }) => Promise<MeterValues>;
  /** The M-Bus devices the inventory knows. */
  mbusDevices?: MbusDeviceRecord[];
}

export function fakePorts(o: FakePortOptions = {}): { ports: OperationPorts; rec: Recorder } {
  const rec: Recorder = { calls: [], clock: [], timezones: [], reads: [] };
  const refuse = (name: string) => async () => {
    rec.calls.push(name);
    throw new Error(`${name} must not be called`);
  };
  const link: GatewayLink = {
    readChannel: refuse('readChannel'),
    scanChannels: refuse('scanChannels'),
    transferKey: refuse('transferKey'),
    setEncryptionKey: refuse('setEncryptionKey'),
    dataSend: refuse('dataSend'),
    readEncryptionKeyStatus: refuse('readEncryptionKeyStatus'),
    readGsmDiagnostic: refuse('readGsmDiagnostic'),
    writeChannelIdentity: refuse('writeChannelIdentity'),
    slaveDeinstall: refuse('slaveDeinstall'),
    resetMbusAlarm: refuse('resetMbusAlarm'),
    globalKeyTransfer: refuse('globalKeyTransfer'),
    action: refuse('action'),
    switchKeys: () => {
      rec.calls.push('switchKeys');
    },
    async setClock(dateTime) {
      rec.calls.push('setClock');
      rec.clock.push(Buffer.from(dateTime));
      if (o.setClock) await o.setClock();
    },
    async readObjectList() {
      rec.calls.push('readObjectList');
      return o.objectList ?? [];
    },
    async readMeterValues(request) {
      rec.calls.push('readMeterValues');
      rec.reads.push(request);
      if (!o.meterValues) throw new Error('readMeterValues must not be called');
      return o.meterValues(request);
    },
    readEventLog: refuse('readEventLog'),
    getAttributes: refuse('getAttributes'),
    setAttribute: refuse('setAttribute'),
    setAttributes: refuse('setAttributes'),
    async release() {
      rec.calls.push('release');
    },
  };
  const ports = {
    links: {
      async open(id: string) {
        rec.calls.push(`open ${id}`);
        return link;
      },
    },
    inventory: {
      async getGateway(id: string) {
        return { deviceIdentification: id, protocol: 'SMR 5.0.0' };
      },
      async getMbusDevice(id: string) {
        return o.mbusDevices?.find((d) => d.deviceIdentification === id);
      },
      async setTimezone(id: string, zone: string) {
        rec.calls.push(`setTimezone ${zone}`);
        rec.timezones.push([id, zone]);
      },
    },
    ...(o.now ? { now: () => o.now! } : {}),
  } as unknown as OperationPorts;
  return { ports, rec };
}

export function context(messageType: string, deviceIdentification = 'E0051004000000117'): OperationContext {
  return { correlationUid: 'test-correlation', organisationIdentification: 'test-org', deviceIdentification, messageType, attempt: 1 };
}

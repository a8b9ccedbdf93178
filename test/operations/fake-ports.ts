/** Fake ports for operation unit tests: a link that records every call, an inventory with one E-meter. */
import type { GatewayLink, ObjectListElement } from '../../src/adapters/ports.ts';
import type { OperationContext, OperationPorts } from '../../src/operations/define.ts';

export interface Recorder {
  calls: string[];
  clock: Buffer[];
  timezones: [string, string][];
}

export function fakePorts(o: { now?: Date; setClock?: () => Promise<void>; objectList?: ObjectListElement[] } = {}): { ports: OperationPorts; rec: Recorder } {
  const rec: Recorder = { calls: [], clock: [], timezones: [] };
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
    writeChannelIdentity: refuse('writeChannelIdentity'),
    slaveDeinstall: refuse('slaveDeinstall'),
    async setClock(dateTime) {
      rec.calls.push('setClock');
      rec.clock.push(Buffer.from(dateTime));
      if (o.setClock) await o.setClock();
    },
    async readObjectList() {
      rec.calls.push('readObjectList');
      return o.objectList ?? [];
    },
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

/**
 * `meterfabric dlms`: a diagnostic DLMS client, like a DLMS director (issue 2, scope 6). Prints the decoded
 * result as JSON. The management client (--client 1) reads the meter's invocation counter through the public
 * client first, so no counter store is needed. Keys on the command line are visible to other local users
 * (process list); use test keys only.
 */
import type { Command } from 'commander';
import { type DlmsData, decodeDataExact } from '../../dlms/axdr.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import type { DlmsSession, ConnectionOptions } from '../../session/client.ts';

interface DlmsCliOptions {
  host: string;
  port: number;
  hdlc?: boolean;
  client: number;
  ak?: string;
  ek?: string;
  systemTitle: string;
  physicalAddress?: number;
  timeout: number;
  withListMax: number;
}

const int = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `${what} must be a non-negative integer, got ${v}`);
  return n;
};

function key(v: string | undefined, what: string): Buffer {
  if (!v || !/^[0-9a-fA-F]{32}$/.test(v)) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `${what} must be 32 hex digits (required for --client 1)`);
  return Buffer.from(v, 'hex');
}

/** Data with its type names kept, so the output shows what the meter sent. */
export function typedJson(d: DlmsData): unknown {
  switch (d.type) {
    case 'null-data':
      return { type: d.type };
    case 'array':
    case 'structure':
    case 'compact-array':
      return { type: d.type, value: d.value.map(typedJson) };
    case 'bit-string':
    case 'octet-string':
    case 'date-time':
    case 'date':
    case 'time':
      return { type: d.type, value: d.value.toString('hex').toUpperCase() };
    case 'long64':
    case 'long64-unsigned':
      return { type: d.type, value: d.value.toString() };
    default:
      return { type: d.type, value: d.value };
  }
}

async function withSession<T>(o: DlmsCliOptions, body: (s: DlmsSession) => Promise<T>): Promise<T> {
  const base: ConnectionOptions = {
    host: o.host,
    port: o.port,
    framing: o.hdlc ? 'hdlc' : 'wrapper',
    physicalAddress: o.physicalAddress,
    responseTimeoutMs: o.timeout,
    connectTimeoutMs: o.timeout,
    withListMax: o.withListMax,
  };
  const { DlmsSession } = await import('../../session/client.ts');
  const { MemoryInvocationCounterStore } = await import('../../session/invocation-counter.ts');
  let session: DlmsSession;
  if (o.client === 16) {
    session = await DlmsSession.openPublic(base);
  } else if (o.client === 1) {
    if (!/^[0-9a-fA-F]{16}$/.test(o.systemTitle)) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, '--system-title must be 16 hex digits');
    session = await DlmsSession.openManagement({
      ...base,
      deviceId: `${o.host}:${o.port}`,
      clientSystemTitle: Buffer.from(o.systemTitle, 'hex'),
      ek: key(o.ek, '--ek'),
      ak: key(o.ak, '--ak'),
      invocationCounters: new MemoryInvocationCounterStore(),
    });
  } else {
    throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `--client must be 1 or 16, got ${o.client}`);
  }
  try {
    return await body(session);
  } finally {
    await session.release();
  }
}

export function register(program: Command): void {
  const dlms = program
    .command('dlms')
    .description('diagnostic DLMS/COSEM client: GET an attribute or invoke a method, print the result as JSON')
    .requiredOption('--host <host>', 'meter address')
    .requiredOption('--port <port>', 'TCP port', int('--port'))
    .option('--hdlc', 'HDLC framing instead of WRAPPER')
    .option('--client <sap>', '1 = management (HLS5-GMAC, needs --ak/--ek), 16 = public', int('--client'), 16)
    .option('--ak <hex>', 'authentication key (management client)')
    .option('--ek <hex>', 'encryption key (management client)')
    .option('--system-title <hex>', 'client system title (management client)', '2020200000000001')
    .option('--physical-address <n>', 'HDLC physical (lower) server address', int('--physical-address'))
    .option('--timeout <ms>', 'connect and per-APDU timeout', int('--timeout'), 10_000)
    .option('--with-list-max <n>', 'most attributes per get-with-list', int('--with-list-max'), 32);

  dlms
    .command('get <classId> <obis> <attributeId>')
    .description('GET one attribute, e.g. get 1 0-0:43.1.0.255 2')
    .action(async (classId: string, obis: string, attributeId: string, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as DlmsCliOptions;
      const data = await withSession(o, (s) => s.get({ classId: int('CLASS')(classId), obis, attributeId: int('ATTR')(attributeId) }));
      console.log(JSON.stringify(typedJson(data)));
    });

  dlms
    .command('action <classId> <obis> <methodId>')
    .description('invoke a method, e.g. action 72 0-1:24.1.0.255 7 --octets <32 hex digits>')
    .option('--octets <hex>', 'parameter: octet-string with these bytes')
    .option('--data <hex>', 'parameter: A-XDR encoded Data')
    .action(async (classId: string, obis: string, methodId: string, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as DlmsCliOptions & { octets?: string; data?: string };
      let parameters: DlmsData | undefined;
      if (o.octets !== undefined) {
        if (!/^([0-9a-fA-F]{2})*$/.test(o.octets)) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, '--octets must be hex bytes');
        parameters = { type: 'octet-string', value: Buffer.from(o.octets, 'hex') };
      } else if (o.data !== undefined) {
        parameters = decodeDataExact(Buffer.from(o.data, 'hex'));
      }
      const result = await withSession(o, (s) => s.action({ classId: int('CLASS')(classId), obis, methodId: int('METHOD')(methodId) }, parameters));
      console.log(JSON.stringify(result === undefined ? { result: 'success' } : { result: 'success', data: typedJson(result) }));
    });
}

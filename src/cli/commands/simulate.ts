/**
 * `meterfabric simulate`: gateway E-meter simulators on 127.0.0.1 (issue 2, scope 6). Runs until interrupted;
 * with --state the fleet's state (including the simulated meters' keys, in clear) is written to a JSON file.
 */
import type { Command } from 'commander';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { TEST_KEYS, testGMeter, type GMeterState } from '../../simulator/meter.ts';

const int = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `${what} must be a non-negative integer, got ${v}`);
  return n;
};

const hexOf = (what: string, bytes: number) => (v: string) => {
  if (!new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(v)) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `${what} must be ${bytes * 2} hex digits`);
  return v.toUpperCase();
};

/** CH:IDENT:MAN:VERSION:TYPE:DEFAULTKEYHEX, numbers decimal (version 80 = 0x50). */
export function parseMbusSpec(spec: string): { channel: number; gMeter: GMeterState } {
  const parts = spec.split(':');
  if (parts.length !== 6) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `--mbus expects CH:IDENT:MAN:VERSION:TYPE:DEFAULTKEYHEX, got ${JSON.stringify(spec.replace(/[0-9a-fA-F]{32}$/, '…'))}`);
  const [ch, ident, man, version, type, key] = parts as [string, string, string, string, string, string];
  const channel = Number(ch);
  if (!Number.isInteger(channel) || channel < 1 || channel > 4) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `--mbus channel must be 1..4, got ${ch}`);
  if (!/^\d{1,8}$/.test(ident)) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `--mbus identification must be up to 8 digits, got ${ident}`);
  if (!/^[A-Za-z]{3}$/.test(man)) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `--mbus manufacturer must be three letters, got ${man}`);
  const v = int('--mbus version')(version);
  const t = int('--mbus device type')(type);
  if (v > 255 || t > 255) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, '--mbus version and type must be 0..255');
  const defaultKey = Buffer.from(hexOf('--mbus default key', 16)(key), 'hex');
  return { channel, gMeter: { primaryAddress: channel, identification: ident.padStart(8, '0'), manufacturer: man.toUpperCase(), version: v, deviceType: t, defaultKey } };
}

/** CLASS:OBIS:METHOD:RESULT, OBIS as A-B:C.D.E.F (its colon is the second field separator). */
export function parseMethodError(spec: string): { classId: number; obis: string; methodId: number; result: number } {
  const m = /^(\d+):(\d+-\d+:\d+\.\d+\.\d+\.\d+):(\d+):(\d+)$/.exec(spec);
  if (!m) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `--method-error expects CLASS:OBIS:METHOD:RESULT, got ${JSON.stringify(spec)}`);
  const result = Number(m[4]);
  if (result > 255) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, '--method-error RESULT must be 0..255');
  return { classId: Number(m[1]), obis: m[2]!, methodId: Number(m[3]), result };
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('run simulated gateway E-meters (DLMS/COSEM, SMR 5 or DSMR 4.2.2) on 127.0.0.1')
    .requiredOption('--port <port>', 'TCP port of the first meter', int('--port'))
    .option('--profile <profile>', 'smr5 (class 72 v1) or dsmr4 (class 72 v0)', 'smr5')
    .option('--hdlc', 'HDLC framing instead of WRAPPER')
    .option('--system-title <hex>', 'system title of the first meter (8 bytes)', hexOf('--system-title', 8), TEST_KEYS.systemTitle)
    .option('--ak <hex>', 'authentication key', hexOf('--ak', 16), TEST_KEYS.ak)
    .option('--ek <hex>', 'global unicast encryption key', hexOf('--ek', 16), TEST_KEYS.ek)
    .option('--mk <hex>', 'master key (KEK)', hexOf('--mk', 16), TEST_KEYS.mk)
    .option('--mbus <spec>', 'G-meter CH:IDENT:MAN:VERSION:TYPE:DEFAULTKEYHEX (repeatable); default: channel 1 = 12056731 FLO 80 3 with the test Default key', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--count <n>', 'number of meters, on ports P..P+N-1 (fleet mode)', int('--count'), 1)
    .option('--state <file>', 'keep meter state in this JSON file across restarts (the file holds the simulated meters\' keys in clear: simulator use only)')
    .option('--latency <ms>', 'fault: delay every answer', int('--latency'))
    .option('--drop-after <n>', 'fault: close the connection when its Nth APDU arrives', int('--drop-after'))
    .option('--silent-from <n>', 'fault: answer nothing from the Nth APDU of a connection on', int('--silent-from'))
    .option('--garbage-from <n>', 'fault: answer garbage from the Nth APDU of a connection on', int('--garbage-from'))
    .option('--method-error <spec>', 'fault: answer CLASS:OBIS:METHOD with Action-Result RESULT, e.g. 72:0-1:24.1.0.255:8:250')
    .addHelpText('after', `
Defaults are the documented test values (docs/dlms.md#test-vectors): EK ${TEST_KEYS.ek}, AK ${TEST_KEYS.ak},
KEK ${TEST_KEYS.mk}, system title ${TEST_KEYS.systemTitle}; meter i of a fleet has the system title + i.
The --state file stores simulated keys in clear; never point a real meter's keys at it.`)
    .action(async (o: {
      port: number; profile: string; hdlc?: boolean; systemTitle: string; ak: string; ek: string; mk: string; mbus: string[]; count: number; state?: string;
      latency?: number; dropAfter?: number; silentFrom?: number; garbageFrom?: number; methodError?: string;
    }) => {
      if (o.profile !== 'smr5' && o.profile !== 'dsmr4') throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `--profile must be smr5 or dsmr4, got ${o.profile}`);
      if (o.count < 1 || o.port + o.count - 1 > 65535) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, '--count must be >= 1 and the ports must stay <= 65535');
      let channels: (GMeterState | undefined)[] = [testGMeter(), undefined, undefined, undefined];
      if (o.mbus.length) {
        channels = [undefined, undefined, undefined, undefined];
        for (const spec of o.mbus) {
          const { channel, gMeter } = parseMbusSpec(spec);
          channels[channel - 1] = gMeter;
        }
      }
      const { Fleet } = await import('../../simulator/simulator.ts');
      const fleet = await Fleet.start({
        basePort: o.port,
        count: o.count,
        framing: o.hdlc ? 'hdlc' : 'wrapper',
        profile: o.profile,
        systemTitle: o.systemTitle,
        ak: o.ak,
        ek: o.ek,
        mk: o.mk,
        channels,
        statePath: o.state,
        faults: {
          latencyMs: o.latency,
          dropAfterApdus: o.dropAfter,
          silentFrom: o.silentFrom,
          garbageFrom: o.garbageFrom,
          methodError: o.methodError === undefined ? undefined : parseMethodError(o.methodError),
        },
      });
      for (const m of fleet.meters) console.log(m.describe());
      console.log(`${fleet.meters.length} meter(s) running; Ctrl-C stops${o.state ? ` and saves ${o.state}` : ''}`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await fleet.close();
    });
}

/**
 * The process-wide root logger can be redirected and re-levelled after start, and component loggers taken
 * before that follow it (the CLI's --log-file and level, a test capturing every line); scrubbing still holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { logger, rootLogger, setRootLogDestination, setRootLogLevel, logFileDestination } from '../../src/observability/logger.ts';

const KEY = '000102030405060708090A0B0C0D0E0F';

function sink() {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => void lines.push(s) }, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Runs fn with the root redirected to a fresh sink at `level`, then puts destination and level back. */
async function redirected(level: string, fn: (s: ReturnType<typeof sink>) => void | Promise<void>) {
  const s = sink();
  const previousDestination = setRootLogDestination(s.stream);
  const previousLevel = setRootLogLevel(level);
  try {
    await fn(s);
  } finally {
    setRootLogDestination(previousDestination);
    setRootLogLevel(previousLevel);
  }
}

// Taken at load time, as the SOAP, REST and session modules take theirs.
const early = logger('test.early');
const earlyBound = logger('test.bound', { correlationUid: 'org|||E1|||1' }).child({ step: 'aarq' });

test('a component logger taken before the redirect writes to the new destination, and only there', async () => {
  const first = sink();
  const second = sink();
  const before = setRootLogDestination(first.stream);
  const level = setRootLogLevel('info');
  try {
    early.info('one');
    setRootLogDestination(second.stream);
    early.info('two');
    earlyBound.info('three');
    assert.deepEqual(first.parsed().map((l) => l.msg), ['one']);
    assert.deepEqual(second.parsed().map((l) => [l.component, l.msg]), [['test.early', 'two'], ['test.bound', 'three']]);
    assert.equal(second.parsed()[1]!.correlationUid, 'org|||E1|||1', 'bindings of the earlier child are kept');
    assert.equal(second.parsed()[1]!.step, 'aarq');
  } finally {
    setRootLogDestination(before);
    setRootLogLevel(level);
  }
});

test('setRootLogDestination returns the destination it replaces, so it can be put back', () => {
  const a = sink();
  const b = sink();
  const original = setRootLogDestination(a.stream);
  const level = setRootLogLevel('info');
  try {
    assert.equal(setRootLogDestination(b.stream), a.stream);
    assert.equal(setRootLogDestination(a.stream), b.stream);
    early.error('to a');
    assert.equal(a.lines.length, 1);
    assert.equal(b.lines.length, 0);
  } finally {
    setRootLogDestination(original);
    setRootLogLevel(level);
  }
});

test('a level change reaches component loggers taken before it', async () => {
  await redirected('info', (s) => {
    early.debug('hidden');
    setRootLogLevel('debug');
    early.debug('shown');
    earlyBound.trace('hidden too');
    assert.equal(early.isLevelEnabled('debug'), true);
    setRootLogLevel('warn');
    early.info('hidden again');
    early.warn('warned');
    assert.deepEqual(s.parsed().map((l) => [l.level, l.msg]), [['debug', 'shown'], ['warn', 'warned']]);
  });
});

test('rootLogger({ level }) re-levels the one root instead of making another', async () => {
  await redirected('info', (s) => {
    assert.equal(rootLogger({ level: 'debug' }), rootLogger());
    early.debug('after rootLogger({ level })');
    assert.deepEqual(s.parsed().map((l) => l.msg), ['after rootLogger({ level })']);
  });
});

test('a child made with a level of its own keeps it when the root changes', async () => {
  await redirected('info', (s) => {
    const own = early.child({ sub: 'x' }, { level: 'error' });
    setRootLogLevel('debug');
    own.info('hidden');
    own.error('kept');
    early.debug('root level');
    assert.deepEqual(s.parsed().map((l) => l.msg), ['kept', 'root level']);
  });
});

test('key-looking hex is still scrubbed after the redirect: message, arguments, fields and child bindings', async () => {
  await redirected('debug', (s) => {
    early.info({ device: 'E0051004000000117', ek: KEY, note: `wrapped ${KEY.toLowerCase()}`, raw: Buffer.from(KEY, 'hex') }, 'key %s sent', KEY);
    early.debug(`inline ${KEY}`);
    logger('test.bindings', { mk: KEY, trace: `id ${KEY}` }).info('bound at creation');
    early.child({ nested: { authenticationKey: KEY } }).child({ raw: Buffer.from(KEY, 'hex') }).warn('grandchild');
    const text = s.lines.join('');
    assert.equal(s.lines.length, 4);
    assert.ok(!text.toUpperCase().includes(KEY), text);
    assert.ok(!text.includes(Buffer.from(KEY, 'hex').toString('base64')), text);
    assert.ok(!text.includes('[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]'), text);
    const [fields, inline, bound, grandchild] = s.parsed();
    assert.equal(fields!.device, 'E0051004000000117', 'ordinary values pass');
    assert.equal(fields!.ek, '[redacted]');
    assert.equal(fields!.note, 'wrapped [redacted]');
    assert.equal(fields!.raw, '[16 bytes]');
    assert.equal(fields!.msg, 'key [redacted] sent');
    assert.equal(inline!.msg, 'inline [redacted]');
    assert.equal(bound!.mk, '[redacted]');
    assert.equal(bound!.trace, 'id [redacted]');
    assert.equal(bound!.component, 'test.bindings');
    assert.deepEqual(grandchild!.nested, { authenticationKey: '[redacted]' });
    assert.equal(grandchild!.raw, '[16 bytes]');
  });
});

test('a pino.multistream target gets the line metadata it needs for per-stream levels', async () => {
  const warnings = sink();
  const everything = sink();
  const multi = pino.multistream([{ level: 'warn', stream: warnings.stream }, { level: 'debug', stream: everything.stream }]);
  const before = setRootLogDestination(multi);
  const level = setRootLogLevel('debug');
  try {
    early.debug('detail');
    early.warn('attention');
    assert.deepEqual(everything.parsed().map((l) => l.msg), ['detail', 'attention']);
    assert.deepEqual(warnings.parsed().map((l) => l.msg), ['attention']);
  } finally {
    setRootLogDestination(before);
    setRootLogLevel(level);
  }
});

test('rootLogger({ destination }) is a separate logger: the root does not write there, nor it to the root', async () => {
  const separate = sink();
  const own = rootLogger({ level: 'info', destination: separate.stream });
  await redirected('info', (s) => {
    early.info('root line');
    own.info({ ek: KEY }, 'own line');
    assert.deepEqual(s.parsed().map((l) => l.msg), ['root line']);
    assert.deepEqual(separate.parsed().map((l) => [l.msg, l.ek]), [['own line', '[redacted]']]);
  });
});

test('logFileDestination appends JSON lines to a file (created with its folder)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mf-log-'));
  const path = join(dir, 'sub', 'meterfabric.log');
  const file = logFileDestination(path) as ReturnType<typeof pino.destination>;
  const before = setRootLogDestination(file);
  const level = setRootLogLevel('info');
  try {
    // The file is written asynchronously: wait for sonic-boom's own report that the line was written (a flushSync
    // while its write is still running writes nothing and returns).
    const written = new Promise<void>((resolve, reject) => file.once('write', () => resolve()).once('error', reject));
    early.info(`to the file ${KEY}`);
    await written;
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.map((l) => [l.component, l.msg]), [['test.early', 'to the file [redacted]']]);
  } finally {
    setRootLogDestination(before);
    setRootLogLevel(level);
    await new Promise<void>((resolve) => {
      file.once('close', () => resolve());
      file.end();
    });
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Structured JSON logs (pino) with a component namespace and a last line of defence against key material:
 * every string that reaches a log line passes a scrubber that replaces 32-hex-digit runs (the size of an
 * AES-128 key in hex) and values of key-like fields. Code must not log keys in the first place; this makes a
 * mistake visible as "[redacted]" instead of a leak.
 *
 * There is one process-wide root logger. Component loggers are pino children of it, and pino children read the
 * parent's stream and (unless given their own) level through the prototype chain, so the root can be redirected
 * and re-levelled after start (`setRootLogDestination`, `setRootLogLevel`) and every child taken earlier follows:
 * the root writes to a fixed forwarding destination whose target is swapped, and its level is set in place.
 */
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger };

const KEY_FIELD = /(key|secret|password|pin|kek|private|ak|ek|mk)$/i;
const HEX_KEY_RUN = /\b[0-9a-fA-F]{32,}\b/g;

/** Replaces runs of 32 or more hex digits (a 16-byte key or longer) in a string. */
export function scrubText(s: string): string {
  return s.replace(HEX_KEY_RUN, '[redacted]');
}

function scrubValue(value: unknown, depth = 0): unknown {
  if (depth > 6) return value;
  if (typeof value === 'string') return scrubText(value);
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  if (isSerialisedBuffer(value)) return `[${value.data.length} bytes]`;
  if (value instanceof Error) return { type: value.name, message: scrubText(value.message), code: (value as { code?: unknown }).code };
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = KEY_FIELD.test(k) && v != null && typeof v !== 'boolean' && typeof v !== 'number' ? '[redacted]' : scrubValue(v, depth + 1);
    return out;
  }
  return value;
}

/** A Buffer after JSON.stringify, as pino has already made of child bindings. */
function isSerialisedBuffer(v: unknown): v is { type: 'Buffer'; data: number[] } {
  return !!v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data);
}

const CHINDINGS = pino.symbols.chindingsSym;

/** Receives what code handed to a logger, before the scrubber: for tests that check nobody relies on it. */
export type UnscrubbedTap = (text: string) => void;
let unscrubbedTap: UnscrubbedTap | undefined;

/**
 * Hands every log call's arguments and every child logger's bindings to `tap` as text, before scrubbing, with
 * byte buffers as hex (test/e2e/key-leak.test.ts: a key the scrubber hides is still a key that was logged).
 * undefined stops it. Not for production use: the text is what the scrubber exists to keep out of the logs.
 */
export function tapUnscrubbed(tap: UnscrubbedTap | undefined): void {
  unscrubbedTap = tap;
}

function unscrubbedText(values: unknown[]): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(values, function (this: unknown, _key, v: unknown) {
    if (typeof v === 'bigint') return v.toString();
    if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v).toString('hex');
    if (isSerialisedBuffer(v)) return Buffer.from(v.data).toString('hex');
    if (v instanceof Error) return { ...v, name: v.name, message: v.message, stack: v.stack, cause: v.cause };
    if (v && typeof v === 'object') {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    return v;
  });
}

/**
 * Child bindings bypass the log formatter: pino serialises them once, when the child is made (its bindings
 * formatter is not applied to children). Scrub that serialised form in place, for every descendant.
 */
function scrubChildBindings(child: Logger): void {
  const own = child as unknown as Record<symbol, string | undefined>;
  const chindings = own[CHINDINGS];
  if (!chindings) return;
  unscrubbedTap?.(unscrubbedText([JSON.parse(`{${chindings.slice(1)}}`)]));
  const scrubbed = JSON.stringify(scrubValue(JSON.parse(`{${chindings.slice(1)}}`)));
  own[CHINDINGS] = scrubbed.length > 2 ? `,${scrubbed.slice(1, -1)}` : '';
}

function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: undefined,
    onChild: scrubChildBindings,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (obj) => scrubValue(obj) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        unscrubbedTap?.(unscrubbedText(args));
        // Scrub the message text and any interpolation arguments.
        const scrubbed = args.map((a) => (typeof a === 'string' ? scrubText(a) : a)) as Parameters<typeof method>;
        return method.apply(this, scrubbed);
      },
    },
  };
}

function defaultLevel(): string {
  return process.env.METERFABRIC_LOG_LEVEL ?? (process.env.NODE_TEST_CONTEXT ? 'silent' : 'info');
}

/**
 * Standard output the way pino picks it itself: asynchronous sonic-boom on fd 1 (flushed on exit), or
 * process.stdout when its write has been replaced (someone is capturing it).
 */
function stdoutDestination(): DestinationStream {
  const tampered = process.stdout.write !== process.stdout.constructor.prototype.write;
  return tampered ? process.stdout : pino.destination({ dest: process.stdout.fd || 1, sync: false });
}

const NEEDS_METADATA = pino.symbols.needsMetadataGsym;

type MetadataStream = DestinationStream & {
  [NEEDS_METADATA]?: boolean;
  lastLevel?: number; lastObj?: object; lastMsg?: string; lastTime?: string; lastLogger?: Logger;
  flush?: (cb?: (err?: Error | null) => void) => void;
  flushSync?: () => void;
};

/**
 * The root's fixed destination: forwards each line to the current target. A target that wants pino's line
 * metadata (pino.multistream) gets it copied through, so per-stream levels keep working.
 */
class ForwardingDestination implements DestinationStream {
  lastLevel?: number;
  lastObj?: object;
  lastMsg?: string;
  lastTime?: string;
  lastLogger?: Logger;

  constructor(public target: MetadataStream) {}

  get [NEEDS_METADATA](): boolean {
    return this.target[NEEDS_METADATA] === true;
  }

  write(line: string): void {
    const t = this.target;
    if (t[NEEDS_METADATA] === true) {
      t.lastLevel = this.lastLevel;
      t.lastObj = this.lastObj;
      t.lastMsg = this.lastMsg;
      t.lastTime = this.lastTime;
      t.lastLogger = this.lastLogger;
    }
    t.write(line);
  }

  flush(cb?: (err?: Error | null) => void): void {
    if (typeof this.target.flush === 'function') this.target.flush(cb);
    else cb?.();
  }

  flushSync(): void {
    if (typeof this.target.flushSync === 'function') this.target.flushSync();
  }
}

let root: Logger | undefined;
let forwarding: ForwardingDestination | undefined;
let stdout: DestinationStream | undefined;

function theRoot(): { root: Logger; forwarding: ForwardingDestination } {
  if (!root || !forwarding) {
    stdout = stdoutDestination();
    forwarding = new ForwardingDestination(stdout as MetadataStream);
    root = pino(loggerOptions(defaultLevel()), forwarding);
  }
  return { root, forwarding };
}

export interface LoggerConfig {
  level?: string;
  destination?: DestinationStream;
}

/**
 * The process-wide root logger. Level from METERFABRIC_LOG_LEVEL (default info; tests default to silent).
 * `{ level }` alone sets the root's level (as setRootLogLevel). `{ destination }` instead returns a separate
 * logger, scrubbed the same way, that writes only there (a component that must log apart from the process,
 * e.g. a test's platform logger); to move the whole process's logging use setRootLogDestination.
 */
export function rootLogger(config: LoggerConfig = {}): Logger {
  if (config.destination) return pino(loggerOptions(config.level ?? defaultLevel()), config.destination);
  const r = theRoot().root;
  if (config.level) r.level = config.level;
  return r;
}

/**
 * Sends every line of the root logger and of all its children, including those created earlier, to
 * `destination` from now on (standard output when undefined). Returns the previous destination.
 */
export function setRootLogDestination(destination?: DestinationStream): DestinationStream {
  const f = theRoot().forwarding;
  const previous = f.target;
  f.target = (destination ?? stdout!) as MetadataStream;
  return previous;
}

/**
 * Sets the level of the root logger and of every child without a level of its own, including those created
 * earlier. Returns the previous level.
 */
export function setRootLogLevel(level: string): string {
  const r = theRoot().root;
  const previous = r.level;
  r.level = level;
  return previous;
}

/** An asynchronous append-only log file (created with its folders), flushed on exit; for `--log-file`. */
export function logFileDestination(path: string): DestinationStream {
  return pino.destination({ dest: path, sync: false, mkdir: true, append: true });
}

/** A child logger for one component, e.g. logger('session'), optionally bound to a correlation id. */
export function logger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return theRoot().root.child({ component, ...bindings });
}

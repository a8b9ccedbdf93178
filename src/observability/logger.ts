/**
 * Structured JSON logs (pino) with a component namespace and a last line of defence against key material:
 * every string that reaches a log line passes a scrubber that replaces 32-hex-digit runs (the size of an
 * AES-128 key in hex) and values of key-like fields. Code must not log keys in the first place; this makes a
 * mistake visible as "[redacted]" instead of a leak.
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
  if (value instanceof Error) return { type: value.name, message: scrubText(value.message), code: (value as { code?: unknown }).code };
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = KEY_FIELD.test(k) && v != null && typeof v !== 'boolean' && typeof v !== 'number' ? '[redacted]' : scrubValue(v, depth + 1);
    return out;
  }
  return value;
}

let root: Logger | undefined;

export interface LoggerConfig {
  level?: string;
  destination?: DestinationStream;
}

/** The process-wide root logger. Level from METERFABRIC_LOG_LEVEL (default info; tests default to silent). */
export function rootLogger(config: LoggerConfig = {}): Logger {
  if (root && !config.destination && !config.level) return root;
  const level = config.level ?? process.env.METERFABRIC_LOG_LEVEL ?? (process.env.NODE_TEST_CONTEXT ? 'silent' : 'info');
  const options: LoggerOptions = {
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (obj) => scrubValue(obj) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        // Scrub the message text and any interpolation arguments.
        const scrubbed = args.map((a) => (typeof a === 'string' ? scrubText(a) : a)) as Parameters<typeof method>;
        return method.apply(this, scrubbed);
      },
    },
  };
  const logger = config.destination ? pino(options, config.destination) : pino(options);
  if (!config.destination) root = logger;
  return logger;
}

/** A child logger for one component, e.g. logger('session'), optionally bound to a correlation id. */
export function logger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ component, ...bindings });
}

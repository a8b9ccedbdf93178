/**
 * The `meterfabric` command line. Each file in ./commands registers its own sub-commands
 * (export function register(program: Command)), so areas add commands without touching this file.
 *
 * Start-up stays fast because a command file imports only light modules (commander, node:*, the admin client,
 * errors) at the top and loads what its command runs (database, HTTP server, DLMS stack) in its action handler.
 */
import { Command, type Option } from 'commander';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMeterfabricError } from '../errors.ts';
import { VERSION } from '../version.ts';

/** Command modules: `name.ts` when run from the sources, `name.js` when run from dist/. */
const COMMAND_FILE = /^[^.]+\.(ts|js)$/;

export async function buildProgram(): Promise<Command> {
  const program = new Command();
  program
    .name('meterfabric')
    .description('Smart-metering head-end: GXF-compatible SOAP/REST, DLMS/COSEM sessions, M-Bus key management, meter simulator')
    .version(VERSION)
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  const dir = join(import.meta.dirname, 'commands');
  for (const file of readdirSync(dir).filter((f) => COMMAND_FILE.test(f)).sort()) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { register?: (p: Command) => void };
    mod.register?.(program);
  }
  return program;
}

/**
 * Output piped into a program that stops reading (`meterfabric key audit | head`) ends the process quietly
 * instead of with an EPIPE stack trace.
 */
export function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

/** The option whose value is this port, for the hint on EADDRINUSE. */
function portOption(command: Command | undefined, port: number | undefined): string | undefined {
  if (!command || port === undefined) return undefined;
  const opts = command.opts() as Record<string, unknown>;
  const option = command.options.find((o: Option) => opts[o.attributeName()] === port);
  return option?.long;
}

/** The text printed for an error that ends a command. */
export function describeError(e: unknown, command?: Command): string {
  if (isMeterfabricError(e)) return `error ${e.code} ${e.codeName}: ${e.message}`;
  const err = e as NodeJS.ErrnoException & { port?: number; address?: string };
  if (err?.code === 'EADDRINUSE') {
    const where = err.address !== undefined && err.port !== undefined ? `${err.address}:${err.port}` : 'the address';
    const flag = portOption(command, err.port);
    const hint = flag ? `choose a free port with ${flag}` : 'choose free ports (see --help for the port options)';
    return `error: ${where} is already in use (another meterfabric, or another program, listens there); ${hint}`;
  }
  return `error: ${e instanceof Error ? e.message : String(e)}`;
}

export async function main(argv: string[]): Promise<void> {
  exitQuietlyOnClosedPipe(process.stdout);
  const program = await buildProgram();
  let running: Command | undefined;
  program.hook('preAction', (_program, actionCommand) => {
    running = actionCommand;
  });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    // The logger's scrubber: a message that quotes its input (a file, an answer) never prints key-like hex.
    const { scrubText } = await import('../observability/logger.ts');
    console.error(scrubText(describeError(e, running)));
    process.exitCode = 1;
  }
}

/**
 * The `meterfabric` command line. Each file in ./commands registers its own sub-commands
 * (export function register(program: Command)), so areas add commands without touching this file.
 */
import { Command } from 'commander';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMeterfabricError } from '../errors.ts';

export async function buildProgram(): Promise<Command> {
  const program = new Command();
  program
    .name('meterfabric')
    .description('Smart-metering head-end: GXF-compatible SOAP/REST, DLMS/COSEM sessions, M-Bus key management, meter simulator')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  const dir = join(import.meta.dirname, 'commands');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { register?: (p: Command) => void };
    mod.register?.(program);
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    // The logger's scrubber: a message that quotes its input (a file, an answer) never prints key-like hex.
    const { scrubText } = await import('../observability/logger.ts');
    if (isMeterfabricError(e)) console.error(`error ${e.code} ${e.codeName}: ${scrubText(e.message)}`);
    else console.error(`error: ${scrubText(e instanceof Error ? e.message : String(e))}`);
    process.exitCode = 1;
  }
}

/**
 * Access to the servers that some tests need. scripts/run-tests.mjs starts them when they are installed and
 * passes their coordinates here through the environment. A missing server skips the test with a plain reason;
 * under CI (CI=true) a missing server fails the test instead, because CI installs every server.
 */
import type { TestContext } from 'node:test';

export const inCI = process.env.CI === 'true' || process.env.CI === '1';

/** Options for `test(name, serverOptions('postgres'), fn)`: skip with a reason when the server is absent. */
export function requires(server: 'postgres' | 'pkcs11' | 'chromium'): { skip?: string } {
  const present = {
    postgres: Boolean(process.env.TEST_DATABASE_URL),
    pkcs11: Boolean(process.env.TEST_PKCS11_LIB),
    chromium: Boolean(process.env.TEST_CHROMIUM),
  }[server];
  if (present) return {};
  const reason = `${server} is not installed on this machine (skipped; CI installs it)`;
  if (inCI) throw new Error(`CI=true but ${server} is not available: .ci/run must install it`);
  return { skip: reason };
}

export function postgresUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  return url;
}

export function pkcs11Config(): { library: string; token: string; pin: string } {
  return {
    library: process.env.TEST_PKCS11_LIB!,
    token: process.env.TEST_PKCS11_TOKEN ?? 'meterfabric-test',
    pin: process.env.TEST_PKCS11_PIN ?? '1234',
  };
}

export function chromiumPath(): string {
  return process.env.TEST_CHROMIUM!;
}

/** Registers a cleanup that runs even when the test fails. */
export function onCleanup(t: TestContext, fn: () => unknown): void {
  t.after(async () => {
    await fn();
  });
}

/**
 * A head-end with the console mounted on a Fastify app: organisations A and B (USER) and OPS (ADMIN), a simulated
 * gateway per USER organisation with its G-meter coupled on channel 1.
 */
import Fastify, { type FastifyInstance, type InjectOptions, type LightMyRequestResponse } from 'fastify';
import { startHeadend, type Headend } from '../support/headend.ts';
import type { Engine } from '../support/db.ts';
import { addOrganisation, setCoupling } from '../../src/platform/inventory.ts';
import { consolePlugin, type ConsolePluginOptions } from '../../src/console/plugin.ts';
import { TEST_KEYS, TEST_GMETER, testGMeter } from '../../src/simulator/meter.ts';
import { installSecurity } from '../../src/api/security.ts';
import { organisationOfToken } from '../../src/platform/tokens.ts';

export const ORG_A = 'org-a';
export const ORG_B = 'org-b';
export const ADMIN = 'ops';
export const GW_A = 'E0051004000000201';
export const GM_A = 'G0051004000000201';
export const GW_B = 'E0051004000000202';
export const GM_B = 'G0051004000000202';

export interface ConsoleFixture {
  h: Headend;
  app: FastifyInstance;
  stop(): Promise<void>;
}

export async function startConsole(engine: Engine, options: Partial<ConsolePluginOptions> = {}): Promise<ConsoleFixture> {
  const h = await startHeadend(engine);
  let app: FastifyInstance | undefined;
  try {
    await h.addOrganisation(ORG_A);
    await h.addOrganisation(ORG_B);
    await addOrganisation(h.db, { identification: ADMIN, platformFunctionGroup: 'ADMIN' });
    // Each G-meter its own M-Bus identity (unique in the inventory), reported by its own gateway on channel 1.
    for (const [gw, gm, org, identification] of [[GW_A, GM_A, ORG_A, TEST_GMETER.identification], [GW_B, GM_B, ORG_B, '12056732']] as const) {
      await h.addGateway(gw, org, { sim: { channels: [{ ...testGMeter(), identification }] } });
      await h.addGMeter(gm, org, { identification });
      await setCoupling(h.db, gm, gw, 1);
    }
    app = Fastify();
    const db = h.db;
    installSecurity(app, { verifyToken: (token) => organisationOfToken(db, token) });
    await app.register(consolePlugin, { platform: h.platform, secrets: h.secrets, ...options });
    await app.ready();
  } catch (e) {
    await app?.close();
    await h.stop();
    throw e;
  }
  const a = app;
  return {
    h, app: a,
    async stop() {
      await a.close();
      await h.stop();
    },
  };
}

/** Every key the fixture knows, in hex (both cases) and base64, plus the ACTIVE and NEW G-meter user keys. */
export async function knownKeyEncodings(h: Headend): Promise<string[]> {
  const keys: Buffer[] = [TEST_KEYS.ak, TEST_KEYS.ek, TEST_KEYS.mk, TEST_KEYS.gMeterDefaultKey].map((k) => Buffer.from(k, 'hex'));
  for (const gm of [GM_A, GM_B]) {
    for (const k of [await h.secrets.getActive(gm, 'G_METER_ENCRYPTION_KEY'), await h.secrets.getNew(gm, 'G_METER_ENCRYPTION_KEY')]) if (k) keys.push(k.key);
  }
  return keys.flatMap((k) => [k.toString('hex'), k.toString('hex').toUpperCase(), k.toString('base64'), k.toString('base64url')]);
}

/** A call to the fixture's app (inject), with JSON content type on non-GET and an API token when given. */
export async function callAs(f: ConsoleFixture, opts: InjectOptions & { token?: string }): Promise<LightMyRequestResponse> {
  const { token, ...rest } = opts;
  const json = rest.method && rest.method !== 'GET' ? { 'content-type': 'application/json' } : {};
  return f.app.inject({ ...rest, headers: { ...json, ...(rest.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) } });
}

/** Re-runs fn every 100 ms until ok(value), failing with the last value after `ms`. */
export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

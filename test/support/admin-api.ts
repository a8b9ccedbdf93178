/**
 * The REST admin API (/api/v1/admin) of a platform without workers, on a fresh database, over loopback HTTP;
 * stopped and removed when the test ends.
 */
import type { TestContext } from 'node:test';
import type { AddressInfo } from 'node:net';
import { freshDb, type Engine } from './db.ts';
import type { Db } from '../../src/platform/db/db.ts';
import { Platform } from '../../src/platform/platform.ts';
import { buildServer } from '../../src/api/server.ts';
import { issueApiToken } from '../../src/platform/tokens.ts';

export interface AdminApi {
  db: Db;
  platform: Platform;
  /** The server's root URL (http://127.0.0.1:PORT). */
  url: string;
  /** An API token of the built-in ADMIN organisation (OSGP). */
  adminToken: string;
  /** Authorization header of the built-in ADMIN organisation (OSGP). */
  admin: Record<string, string>;
  /** A JSON call to /api/v1/admin + path, as ADMIN unless other headers are given. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function startAdminApi(t: TestContext, engine: Engine): Promise<AdminApi> {
  const { db, dispose } = await freshDb(engine);
  const platform = await Platform.start({ db, workers: false });
  const app = await buildServer({ platform });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await app.close();
    await platform.stop();
    await dispose();
  });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const base = `${url}/api/v1/admin`;
  const adminToken = (await issueApiToken(db, 'OSGP')).token;
  const admin = { authorization: `Bearer ${adminToken}` };
  return {
    db, platform, url, adminToken, admin,
    async call(method, path, body, headers = admin) {
      const res = await fetch(base + path, {
        method, headers: { ...(method !== 'GET' ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    },
  };
}

/**
 * The console of a test fixture in Chromium (Debian's chromium driven by playwright-core): the fixture's server
 * listening on loopback, an API token of the organisation to sign in with, a fresh profile, and the page's script
 * errors collected. `close` ends the browser and removes the profile (the fixture is the caller's to stop).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { chromiumPath } from '../support/servers.ts';
import { issueApiToken } from '../../src/platform/tokens.ts';
import type { ConsoleFixture } from './helpers.ts';

export interface ConsoleBrowser {
  page: Page;
  /** http://127.0.0.1:PORT of the fixture's server. */
  base: string;
  /** An API token of the organisation (what a user pastes into the sign-in form). */
  token: string;
  /** Uncaught script errors of the page; a test expects none. */
  pageErrors: string[];
  /** Opens the console (at `path`, default /console/) and signs in with the token. */
  signIn(path?: string): Promise<void>;
  close(): Promise<void>;
}

export async function openConsoleBrowser(
  f: ConsoleFixture, organisation: string, o: { viewport?: { width: number; height: number }; timeoutMs?: number } = {},
): Promise<ConsoleBrowser> {
  await f.app.listen({ host: '127.0.0.1', port: 0 });
  const address = f.app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const { token } = await issueApiToken(f.h.db, organisation);
  const profile = mkdtempSync(join(tmpdir(), 'meterfabric-chromium-'));
  const removeProfile = () => rmSync(profile, { recursive: true, force: true });
  try {
    // A persistent context is how playwright takes a fresh --user-data-dir.
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath(),
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: o.viewport ?? { width: 1280, height: 900 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(o.timeoutMs ?? 30_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return {
      page, base, token, pageErrors,
      async signIn(path = '/console/') {
        await page.goto(`${base}${path}`);
        await page.fill('#token', token);
        await page.click('#sign-in');
      },
      async close() {
        await context.close();
        removeProfile();
      },
    };
  } catch (e) {
    removeProfile();
    throw e;
  }
}

/**
 * The console in a real browser (issue 6 "Must show"): Debian's chromium driven by playwright-core signs in with
 * an organisation's API token, sees a gateway with its simulated G-meter, sets the user key on channel 1 and watches the
 * request reach OK, then runs a fleet rekey to 100 %. Screenshots go to test-artifacts/console/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { requires } from '../support/servers.ts';
import { openConsoleBrowser, type ConsoleBrowser } from './in-browser.ts';
import { startConsole, knownKeyEncodings, ORG_A, GW_A, GM_A } from './helpers.ts';
import { issueSignInToken } from '../../src/platform/tokens.ts';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');

test('in chromium: sign in, set the user key on channel 1, see OK, run a fleet rekey to 100 %, sign in through a one-time link', { ...requires('chromium'), timeout: 90_000 }, async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const f = await startConsole('pglite');
  let browser: ConsoleBrowser | undefined;
  try {
    browser = await openConsoleBrowser(f, ORG_A, { timeoutMs: 20_000 });
    const { page, base, token, pageErrors } = browser;

    await browser.signIn();
    const channel1 = page.locator(`section[data-gateway="${GW_A}"] tr[data-channel="1"]`);
    await channel1.waitFor();
    assert.match(await channel1.innerText(), new RegExp(GM_A));
    assert.match(await page.locator('#who').innerText(), new RegExp(ORG_A));
    await page.screenshot({ path: join(ARTIFACTS, '01-gateways.png'), fullPage: true });

    await channel1.locator('button.set-user-key').click();
    await page.waitForFunction(() => document.querySelector('#request-status')?.textContent === 'DONE', undefined, { timeout: 30_000 });
    assert.equal(await page.locator('#request-result').innerText(), 'OK');
    await page.screenshot({ path: join(ARTIFACTS, '02-set-user-key.png'), fullPage: true });

    await page.click('a[href="#/gateways"]');
    await channel1.waitFor();
    assert.match(await channel1.innerText(), /ACTIVE since/);

    await page.click('a[href="#/requests"]');
    await page.locator('tr[data-correlation-uid]').first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, '03-requests.png'), fullPage: true });

    await page.click('a[href="#/rekey"]');
    await page.click('#start-rekey');
    await page.waitForSelector('#rekey-progress[data-finished="100"]', { timeout: 30_000 });
    assert.match(await page.locator('#rekey-progress').innerText(), /100% — done 1, failed 0, pending 0 of 1/);
    const bar = await page.evaluate(() => {
      const done = document.querySelector<HTMLElement>('#rekey-progress .progress .done')!;
      return { done: done.offsetWidth, whole: done.parentElement!.offsetWidth };
    });
    assert.ok(bar.whole > 0 && bar.done === bar.whole, `the progress bar is full: ${JSON.stringify(bar)}`);
    await page.screenshot({ path: join(ARTIFACTS, '04-fleet-rekey.png'), fullPage: true });

    await page.click('a[href="#/audit"]');
    await page.locator('h3', { hasText: 'Secret store' }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, '05-audit.png'), fullPage: true });
    const html = await page.content();
    for (const e of await knownKeyEncodings(f.h)) assert.ok(!html.includes(e), 'the page shows no key material');

    await page.click('#sign-out');
    await page.locator('#token').waitFor();

    // A one-time sign-in link (what `npm start` prints): signs in, leaves the address bar, works once.
    const link = await issueSignInToken(f.h.db, ORG_A);
    await page.goto(`${base}/console/?link#sign-in=${link}`);
    await channel1.waitFor();
    assert.equal(new URL(page.url()).hash, '#/gateways', 'the token is gone from the address bar');
    await page.click('#sign-out');
    await page.locator('#token').waitFor();
    await page.goto(`${base}/console/?again#sign-in=${link}`);
    await page.waitForFunction(() => /works once/.test(document.querySelector('#signin-error')?.textContent ?? ''));
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser?.close();
    await f.stop();
  }
});

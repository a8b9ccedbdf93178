/**
 * The meter page's key and firmware actions in a real browser (chromium via playwright-core): "Rotate keys" and
 * "Update firmware" (a stored file picked from those that fit the meter) each shown from submission until OK, the
 * simulated meter afterwards holding the store's new key and the new image; then the fleet page's bulk job form with
 * its firmware picker (no JSON body) updating a ticked meter to 100 %. Screenshots in test-artifacts/console/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { requires } from '../support/servers.ts';
import { openConsoleBrowser, type ConsoleBrowser } from './in-browser.ts';
import { startConsole, ORG_A, GW_A } from './helpers.ts';
import { addFirmwareFile } from '../../src/platform/firmware.ts';
import { TEST_KEYS } from '../../src/simulator/meter.ts';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');
const GW_A2 = 'E0051004000000203';

test('in chromium: the meter page rotates the keys and updates the firmware, each shown until OK; the fleet page picks a firmware file for a bulk job', { ...requires('chromium'), timeout: 110_000 }, async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const f = await startConsole('pglite');
  let browser: ConsoleBrowser | undefined;
  try {
    const sim = f.h.meters[0]!;
    const sim2 = await f.h.addGateway(GW_A2, ORG_A);
    for (const [id, seed] of [['FW-E-0702', 3], ['FW-E-0703', 7]] as const) {
      await addFirmwareFile(f.h.db, { identification: id, content: Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * seed) & 0xff)), imageIdentifier: Buffer.from(id).toString('hex') });
    }
    await addFirmwareFile(f.h.db, { identification: 'FW-NO-IMAGE-ID', content: Buffer.from('x') });
    browser = await openConsoleBrowser(f, ORG_A);
    const { page, base, pageErrors } = browser;

    await browser.signIn();
    await page.locator(`section[data-gateway="${GW_A}"] a.meter-link`).click();
    await page.locator('#rotate-keys').waitFor();
    assert.match(await page.locator('#key-rotation').innerText(), /No key rotation requested/);
    // Every state each change shows, as the page shows it.
    await page.evaluate(() => {
      const seen: Record<string, string[]> = { 'key-rotation': [], 'firmware-update': [] };
      (window as unknown as { seen: typeof seen }).seen = seen;
      new MutationObserver(() => {
        for (const id of Object.keys(seen)) {
          const state = document.querySelector(`#${id} .change`)?.getAttribute('data-state');
          if (state && seen[id]!.at(-1) !== state) seen[id]!.push(state);
        }
      }).observe(document.getElementById('meter-changes')!, { subtree: true, childList: true, attributes: true });
    });
    const seen = async (id: string) => page.evaluate((x) => (window as unknown as { seen: Record<string, string[]> }).seen[x]!, id);

    // Rotate keys.
    await page.click('#rotate-keys');
    await page.locator('#key-rotation .change[data-state="OK"]').waitFor({ timeout: 60_000 });
    const ak = (await f.h.secrets.getActive(GW_A, 'E_METER_AUTHENTICATION_KEY'))!.key.toString('hex');
    assert.notEqual(ak, TEST_KEYS.ak.toLowerCase(), 'a new key');
    assert.equal(Buffer.from(sim.state.keys.ak).toString('hex'), ak, 'the meter holds the store\'s ACTIVE key');
    assert.ok(!(await page.content()).toLowerCase().includes(ak), 'the key is not on the page');
    assert.match(await page.locator('#meter-message').innerText(), /GENERATE_AND_REPLACE_KEYS/);

    // Update firmware: only the files that fit an E-meter are offered.
    assert.deepEqual(await page.locator('#firmware-file option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)), ['FW-E-0702', 'FW-E-0703']);
    await page.selectOption('#firmware-file', 'FW-E-0702');
    await page.click('#update-firmware');
    await page.locator('#firmware-update .change[data-state="OK"]').waitFor({ timeout: 60_000 });
    assert.match(await page.locator('#firmware-update table.firmware-versions').innerText(), /ACTIVE_FIRMWARE\s+FW-E-0702/);
    assert.equal(sim.state.firmware?.active?.identifier, 'FW-E-0702');
    const states = await seen('firmware-update');
    assert.ok(states.some((s) => ['QUEUED', 'RUNNING', 'RETRY'].includes(s)) && states.at(-1) === 'OK', `shown until final: ${states.join(' → ')}`);
    assert.equal((await seen('key-rotation')).at(-1), 'OK');
    await page.screenshot({ path: join(ARTIFACTS, '20-meter-keys-and-firmware.png'), fullPage: true });

    // The fleet page: UpdateFirmware takes a picked file instead of a JSON body.
    await page.goto(`${base}/console/#/fleet?type=SMART_METER_E`);
    await page.locator('#bulk-operation').waitFor();
    assert.equal(await page.locator('#bulk-firmware').isVisible(), false, 'no picker for GenerateAndReplaceKeys');
    await page.selectOption('#bulk-operation', 'updateFirmware');
    assert.equal(await page.locator('#bulk-firmware').isVisible(), true);
    assert.equal(await page.locator('#bulk-body').isVisible(), false);
    await page.selectOption('#bulk-firmware', 'FW-E-0703');
    await page.locator(`tr[data-device="${GW_A2}"] input.pick`).check();
    await page.click('#bulk-start');
    await page.locator('#bulk-progress[data-complete="true"]').waitFor({ timeout: 60_000 });
    assert.match(await page.locator('#bulk-progress .count[data-state="OK"]').innerText(), /OK 1/);
    assert.match(await page.locator('#bulk-progress').innerText(), /updateFirmware \(UPDATE_FIRMWARE\)/);
    assert.equal(sim2.state.firmware?.active?.identifier, 'FW-E-0703');
    assert.equal(sim.state.firmware?.active?.identifier, 'FW-E-0702', 'only the ticked meter');
    await page.screenshot({ path: join(ARTIFACTS, '21-fleet-firmware-bulk.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser?.close();
    await f.stop();
  }
});

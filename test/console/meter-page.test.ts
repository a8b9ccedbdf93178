/**
 * The console's meter page in a real browser: latest actual reads, the alarm register read and cleared, and the
 * events of every log of an SMR 5.0.0 meter in a window, with paging and a category filter; the expected events come
 * from the simulator's published rule (docs/monitoring.md#simulated-event-history); the 15-minute profile of a chosen day
 * as an SVG chart. Screenshots in test-artifacts/console/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { requires } from '../support/servers.ts';
import { openConsoleBrowser, type ConsoleBrowser } from './in-browser.ts';
import { startConsole, ORG_A, GW_A } from './helpers.ts';
import { simulatedEventsBetween } from '../../src/simulator/event-logs.ts';
import { derivedAlarmRegister } from '../../src/simulator/alarms.ts';
import { meterSeed } from '../../src/simulator/registers.ts';
import { decodeAlarmRegister } from '../../src/push/alarms.ts';
import type { EventLogCategory } from '../../src/cosem/index.ts';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');
const T = Date.UTC(2026, 0, 15, 10, 37, 30);
const FROM = '2026-01-08T00:00:00.000Z';
const UNTIL = '2026-01-15T00:00:00.000Z';
const SMR50_LOGS: EventLogCategory[] = ['STANDARD_EVENT_LOG', 'FRAUD_DETECTION_LOG', 'COMMUNICATION_SESSION_LOG', 'M_BUS_EVENT_LOG', 'POWER_QUALITY_EVENT_LOG'];

test('in chromium: the meter page shows reads, the alarm register before and after clearing, and pages and filters events', { ...requires('chromium'), timeout: 120_000 }, async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const f = await startConsole('pglite');
  let browser: ConsoleBrowser | undefined;
  try {
    const sim = f.h.meters[0]!;
    sim.state.clockOffsetMs = T - Date.now();
    const seed = meterSeed(sim.state);
    browser = await openConsoleBrowser(f, ORG_A);
    const { page, base, pageErrors } = browser;

    await browser.signIn();
    await page.locator(`section[data-gateway="${GW_A}"] a.meter-link`).click();
    await page.locator('#meter-reads').waitFor();
    assert.match(await page.locator('#meter-reads').innerText(), /No actual reads yet/);

    // Actual reads.
    await page.click('#read-actual');
    const importRow = page.locator('#meter-reads tr[data-field="activeEnergyImport"]');
    await importRow.waitFor();
    assert.match(await importRow.innerText(), /^activeEnergyImport\s+\d+\.\d{3} KWH$/);

    // Alarm register: the seed's alarms, then none after clearing.
    await page.click('#read-alarms');
    await page.locator('#alarm-list').waitFor();
    const expectedAlarms = [...decodeAlarmRegister(1, derivedAlarmRegister(seed, 1)).alarms];
    assert.deepEqual((await page.locator('#alarm-list li').allInnerTexts()).map((s) => s.trim()), expectedAlarms);
    await page.click('#clear-alarms');
    for (let i = 0; i < 300 && sim.state.alarmRegisters?.[1] !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(sim.state.alarmRegisters?.[1], 0, 'the meter was cleared');
    await page.click('#read-alarms');
    await page.waitForFunction(() => document.querySelector('#alarm-list')?.textContent === 'No alarms set.');

    // Events of every log in a window: newest first, 20 per page, filter by category.
    const expected = SMR50_LOGS.flatMap((c) => simulatedEventsBetween(c, seed, new Date(T), new Date(FROM), new Date(UNTIL)).map((e) => ({ ...e, c })));
    const pages = Math.ceil(expected.length / 20);
    assert.ok(pages >= 3, `${expected.length} events`);
    await page.fill('#events-from', FROM);
    await page.fill('#events-until', UNTIL);
    await page.click('#find-events');
    await page.locator('#events-table').waitFor();
    assert.equal(await page.locator('#events-page').innerText(), `page 1 of ${pages} · ${expected.length} events`);
    assert.equal(await page.locator('#events-table tr.event').count(), 20);
    const last = expected.at(-1)!;
    assert.match(await page.locator('#events-table tr.event').first().innerText(), new RegExp(`\\s${last.code}\\s.*${last.c}`));
    await page.screenshot({ path: join(ARTIFACTS, '10-meter-page.png'), fullPage: true });
    await page.click('#events-next');
    assert.equal(await page.locator('#events-page').innerText(), `page 2 of ${pages} · ${expected.length} events`);
    await page.selectOption('#event-filter', 'FRAUD_DETECTION_LOG');
    const fraud = expected.filter((e) => e.c === 'FRAUD_DETECTION_LOG');
    assert.equal(await page.locator('#events-page').innerText(), `page 1 of 1 · ${fraud.length} events`);
    const rows = await page.locator('#events-table tr.event').allInnerTexts();
    assert.equal(rows.length, fraud.length);
    assert.ok(rows.every((r) => r.includes('FRAUD_DETECTION_LOG')), rows.join('\n'));

    // The 15-minute E profile of a chosen day as an SVG bar chart: 97 entries 00:00..24:00, 96 intervals, each the
    // import of 15 minutes by the simulator's rule (10 Wh a minute: 0.150 kWh).
    await page.fill('#interval-day', '2026-01-14');
    await page.click('#read-interval');
    await page.locator('#interval-chart rect.bar').first().waitFor();
    assert.match(await page.locator('#interval-summary').innerText(), /^97 entries from /);
    const bars = await page.locator('#interval-chart rect.bar').evaluateAll((els) => els.map((e) => [e.getAttribute('data-time'), e.getAttribute('data-kwh')]));
    assert.equal(bars.length, 96);
    assert.deepEqual(bars[0], ['2026-01-14T00:00:00.000Z', '0.150']);
    assert.deepEqual(bars[95], ['2026-01-14T23:45:00.000Z', '0.150']);
    assert.ok(bars.every(([, kwh]) => kwh === '0.150'), JSON.stringify(bars));
    await page.locator('#meter-interval').screenshot({ path: join(ARTIFACTS, '11-interval-chart.png') });
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser?.close();
    await f.stop();
  }
});

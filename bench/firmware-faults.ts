/**
 * The randomised fault campaign for UpdateFirmware (test/support/firmware-faults.ts), at full size:
 *   node --import tsx bench/firmware-faults.ts [RUNS=500] [SEED=1]
 * Prints the table of fault runs and exits non-zero if a request did not reach a final result, a meter did not end
 * with the requested image active, or a block was sent again that the meter had not asked for.
 */
import { campaignPassed, formatFirmwareTable, runFirmwareCampaign } from '../test/support/firmware-faults.ts';

const runs = Number(process.argv[2] ?? 500);
const seed = Number(process.argv[3] ?? 1);
const r = await runFirmwareCampaign({ runs, seed, log: process.env.VERBOSE ? (l) => console.log(l) : undefined });
console.log(formatFirmwareTable(r));
process.exit(campaignPassed(r) ? 0 : 1);

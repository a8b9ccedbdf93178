/**
 * The randomised fault campaign for E-meter key changes (test/support/emeter-key-faults.ts), at full size:
 *   node --import tsx bench/emeter-key-faults.ts [RUNS=500] [SEED=1]
 * Prints the table of fault runs (step → count → outcome) and exits non-zero if a key was lost or a request did
 * not reach a final result.
 */
import { formatTable, runCampaign } from '../test/support/emeter-key-faults.ts';

const runs = Number(process.argv[2] ?? 500);
const seed = Number(process.argv[3] ?? 1);
const r = await runCampaign({ runs, seed, log: process.env.VERBOSE ? (l) => console.log(l) : undefined });
console.log(formatTable(r));
process.exit(r.keysLost === 0 && r.unfinished === 0 ? 0 : 1);

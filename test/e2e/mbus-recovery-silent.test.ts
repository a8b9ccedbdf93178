/** SetMbusUserKeyByChannel with the meter going silent at each APDU (./fixtures/recovery.ts; issue 5). */
import { recoveryTests } from './fixtures/recovery.ts';

recoveryTests('silent meter');

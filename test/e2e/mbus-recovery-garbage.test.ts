/** SetMbusUserKeyByChannel with the meter answering garbage at each APDU (./fixtures/recovery.ts; issue 5). */
import { recoveryTests } from './fixtures/recovery.ts';

recoveryTests('garbage answer');

/**
 * SetMbusUserKeyByChannel with the line dropped at each APDU of the association: store and G-meter agree
 * afterwards, with retries and with retries exhausted (./fixtures/recovery.ts; docs/gxf.md#where-meterfabric-differs, issue 5).
 * The silent and garbage-answering meter: mbus-recovery-silent/-garbage.test.ts; a worker crash: mbus-crash.test.ts.
 */
import { recoveryTests } from './fixtures/recovery.ts';

recoveryTests('line drop');

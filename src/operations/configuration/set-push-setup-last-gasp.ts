/**
 * SetPushSetupLastGasp (docs/gxf.md#push-setups): the destination of the UDP push setup (class 40, 0-3:25.9.0.255),
 * which GXF uses for the last gasp. It exists on SMR 5.5 only; other protocols are refused.
 */
import { PUSH_SETUP_UDP, TransportService } from '../../cosem/index.ts';
import { isSmr55 } from './configuration-objects.ts';
import { definePushDestination } from './push-destination.ts';

export default definePushDestination({
  name: 'LastGasp',
  messageType: 'SET_PUSH_SETUP_LAST_GASP',
  setup: PUSH_SETUP_UDP,
  transport: TransportService.UDP,
  supported: isSmr55,
  url: '/devices/:deviceIdentification/push-setup/last-gasp',
  summary: 'Set the UDP host and port the meter sends its last gasp to, SMR 5.5 (SetPushSetupLastGasp)',
  what: 'UDP push setup',
});

/**
 * SetPushSetupSms (docs/gxf.md#push-setups): the destination of the SMS push setup (class 40, 0-2:25.9.0.255). The
 * transport is TCP, as GXF writes it (not SMS).
 */
import { PUSH_SETUP_SMS, TransportService } from '../../cosem/index.ts';
import { hasConfigurationObjects } from './configuration-objects.ts';
import { definePushDestination } from './push-destination.ts';

export default definePushDestination({
  name: 'Sms',
  messageType: 'SET_PUSH_SETUP_SMS',
  setup: PUSH_SETUP_SMS,
  transport: TransportService.TCP,
  supported: hasConfigurationObjects,
  url: '/devices/:deviceIdentification/push-setup/sms',
  summary: 'Set the TCP host and port of the SMS push setup (SetPushSetupSms)',
  what: 'SMS push setup',
});

/**
 * SetDeviceCommunicationSettings: replaces the seven DLMS settings GXF keeps per device (OSGP/open-smart-grid-platform,
 * osgp-adapter-protocol-dlms ManagementService setDeviceCommunicationSettings): ChallengeLength and WithListMax (used
 * by the next association), UseHdlc (the framing: HDLC or WRAPPER), and SelectiveAccessSupported, IpAddressIsStatic,
 * UseSn, Polyphase (kept with the device's installation facts; meterfabric addresses objects by logical name
 * whatever UseSn says). No meter contact. A challenge length outside 8..64 is GXF's 213.
 */
import { z } from 'zod';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { bool, resultWithDescription, sub, text } from '../../api/soap/mapping.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define, type CommunicationSettings } from '../define.ts';

const settings = z.object({
  challengeLength: z.number().int().describe('HLS challenge length, 8..64'),
  withListMax: z.number().int().min(1).max(2_147_483_647).describe('Most attributes per get-request-with-list; 1 = one GET each'),
  selectiveAccessSupported: z.boolean(),
  ipAddressIsStatic: z.boolean(),
  useSn: z.boolean(),
  useHdlc: z.boolean(),
  polyphase: z.boolean(),
});

export default define({
  messageType: 'SET_DEVICE_COMMUNICATION_SETTINGS',
  service: 'SmartMeteringManagement',
  functionGroup: 'MANAGEMENT',
  contactsDevice: false,
  payload: settings,
  soap: {
    request: 'SetDeviceCommunicationSettingsRequest',
    asyncResponse: 'SetDeviceCommunicationSettingsAsyncResponse',
    asyncRequest: 'SetDeviceCommunicationSettingsAsyncRequest',
    response: 'SetDeviceCommunicationSettingsResponse',
    wsdlOperations: ['SetDeviceCommunicationSettings', 'GetSetDeviceCommunicationSettingsResponse'],
    family: 'strict',
    read: (r) => {
      const d = sub(r, 'SetDeviceCommunicationSettingsData');
      const flag = (name: string) => bool(text(d, name)) ?? false;
      return {
        deviceIdentification: text(r, 'DeviceIdentification'),
        payload: {
          challengeLength: Number(text(d, 'ChallengeLength')),
          withListMax: Number(text(d, 'WithListMax')),
          selectiveAccessSupported: flag('SelectiveAccessSupported'),
          ipAddressIsStatic: flag('IpAddressIsStatic'),
          useSn: flag('UseSn'),
          useHdlc: flag('UseHdlc'),
          polyphase: flag('Polyphase'),
        },
      };
    },
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/communication-settings',
    operationId: 'setDeviceCommunicationSettings',
    summary: 'Replace the device\'s DLMS communication settings: challenge length, with-list maximum, HDLC or WRAPPER, and four flags (SetDeviceCommunicationSettings)',
    tag: 'management',
    params: gatewayParams,
    body: settings.extend(requestOptions).strict(),
    toRequest: (params, body) => ({
      deviceIdentification: pathDevice(params),
      payload: Object.fromEntries(Object.keys(settings.shape).map((k) => [k, body[k]])) as unknown as CommunicationSettings,
    }),
  },
  async execute(ports, payload, ctx): Promise<void> {
    if (payload.challengeLength < 8 || payload.challengeLength > 64) {
      throw new MeterfabricError(ErrorCode.CHALLENGE_LENGTH_OUT_OF_RANGE, `ChallengeLength ${payload.challengeLength} is outside 8..64`, { component: 'PROTOCOL_DLMS', retryable: false });
    }
    await ports.management.setCommunicationSettings(ctx.deviceIdentification, payload);
  },
});

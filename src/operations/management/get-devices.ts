/**
 * GetDevices: synchronous, no meter contact: one page (from 0) of the devices the calling organisation holds an
 * authorisation on (an ADMIN organisation: all), 30 per page, by device identification descending
 * (OSGP/open-smart-grid-platform, osgp-adapter-ws-smartmetering ManagementService findAllDevices, PAGE_SIZE 30).
 * HasSchedule and PublicKeyPresent are false: meterfabric keeps neither schedules nor device public keys.
 */
import { z } from 'zod';
import { el, text, validation } from '../../api/soap/mapping.ts';
import { DEVICE_PAGE_SIZE, findDevicesPage, type DevicePage } from '../../platform/device-management.ts';
import { defineSync } from '../define.ts';

const page = z.coerce.number().int().min(0).max(2_147_483_647);

export default defineSync<{ page: number }, DevicePage>({
  name: 'GET_DEVICES',
  service: 'SmartMeteringManagement',
  soap: {
    request: 'GetDevicesRequest',
    response: 'GetDevicesResponse',
    wsdlOperation: 'GetDevices',
    read: (r) => {
      const n = Number(text(r, 'Page'));
      if (n < 0) throw validation('Page must be 0 or more');
      return { page: n };
    },
    // GXF's DevicePage; a page past the end has no Devices, as GXF answers it.
    render: (result, p) =>
      `<${p}:DevicePage>${el(`${p}:TotalPages`, result.totalPages)}${result.devices.map((d) =>
        `<${p}:Devices>${el(`${p}:DeviceUid`, d.deviceUid)}${el(`${p}:DeviceIdentification`, d.deviceIdentification)}${el(`${p}:DeviceType`, d.deviceType)}` +
        `${el(`${p}:Activated`, String(d.activated))}${el(`${p}:HasSchedule`, String(d.hasSchedule))}${el(`${p}:PublicKeyPresent`, String(d.publicKeyPresent))}</${p}:Devices>`,
      ).join('')}</${p}:DevicePage>`,
  },
  rest: {
    url: '/devices',
    operationId: 'getDevices',
    summary: `The devices the calling organisation is authorised for, ${DEVICE_PAGE_SIZE} per page by identification descending (GetDevices)`,
    tag: 'management',
    querystring: z.object({ page: page.default(0).describe('Page number, from 0') }),
    response: z.object({
      totalPages: z.number().int(),
      devices: z.array(z.object({
        deviceUid: z.string(), deviceIdentification: z.string(), deviceType: z.string(), activated: z.boolean(), hasSchedule: z.boolean(), publicKeyPresent: z.boolean(),
      })),
    }),
    toInput: (query) => ({ page: (query.page as number | undefined) ?? 0 }),
  },
  run: (db, organisation, input) => findDevicesPage(db, organisation, input.page),
});

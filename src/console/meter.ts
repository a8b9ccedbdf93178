/**
 * The console's meter page API (src/console/README.md "Pages"): the latest stored actual reads, alarm register read
 * and event list of a gateway for the signed-in organisation, and the actions that ask the meter for new ones
 * (GetActualMeterReads, ReadAlarmRegister, ClearAlarmRegister, FindEvents: one log, or every log the meter's protocol
 * has; GetPeriodicMeterReads INTERVAL of one UTC day for the profile chart), submitted as that organisation.
 * Also the meter's two riskiest changes: rotate its keys (GenerateAndReplaceKeys) and update its firmware
 * (UpdateFirmware with a stored file that fits it), each shown from submission to its final result, the firmware
 * update with the image transfer's step and blocks (docs/firmware.md#resume).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Queryable } from '../platform/db/db.ts';
import { listDeviceResponses, responsesOf } from '../platform/responses.ts';
import { listFleetRequests } from '../platform/fleet.ts';
import { getTransferProgress, listUsableFirmwareFiles } from '../platform/firmware.ts';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import { EVENT_LOG_CATEGORIES } from '../cosem/event-logs.ts';
import type { ConsoleSession } from './auth.ts';
import { eventLogCategoriesOf } from '../operations/monitoring/event-types.ts';

const iso = z.iso.datetime({ offset: true });
const meterAction = z.discriminatedUnion('action', [
  z.object({ action: z.literal('read-actual') }).strict(),
  z.object({ action: z.literal('read-alarms') }).strict(),
  z.object({ action: z.literal('clear-alarms') }).strict(),
  z.object({ action: z.literal('find-events'), eventLogCategory: z.enum(EVENT_LOG_CATEGORIES).optional(), from: iso, until: iso }).strict(),
  z.object({ action: z.literal('read-interval'), day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) }).strict(),
  z.object({ action: z.literal('rotate-keys') }).strict(),
  z.object({ action: z.literal('update-firmware'), firmwareIdentification: z.string().min(1).max(40) }).strict(),
]);

const ROTATE_KEYS = 'GENERATE_AND_REPLACE_KEYS';
const UPDATE_FIRMWARE = 'UPDATE_FIRMWARE';

/** The INTERVAL read of one UTC day: its 15-minute entries from 00:00 to the next day's 00:00, both included. */
function intervalDay(day: string): { periodType: 'INTERVAL'; beginDate: string; endDate: string } {
  const begin = new Date(`${day}T00:00:00Z`);
  return { periodType: 'INTERVAL', beginDate: begin.toISOString(), endDate: new Date(begin.getTime() + 86_400_000).toISOString() };
}

export interface MeterRouteDeps {
  db: Queryable;
  who(request: FastifyRequest): ConsoleSession;
  mayView(s: ConsoleSession, deviceIdentification: string): Promise<boolean>;
  /** The gateway's protocol ("SMR 5.0.0"), undefined when the device is no gateway. */
  gatewayProtocol(deviceIdentification: string): Promise<string | undefined>;
  submitAs(s: ConsoleSession, deviceIdentification: string, messageType: string, payload: unknown): Promise<{ correlationUid: string }>;
  unknownDevice(id: string): Error;
  parse<T>(schema: z.ZodType<T>, value: unknown): T;
}

export function registerMeterRoutes(api: FastifyInstance, d: MeterRouteDeps): void {
  const visibleGateway = async (s: ConsoleSession, id: string): Promise<string> => {
    const protocol = (await d.mayView(s, id)) ? await d.gatewayProtocol(id) : undefined;
    if (protocol === undefined) throw d.unknownDevice(id);
    return protocol;
  };

  api.get<{ Params: { id: string } }>('/console/api/meters/:id', async (request) => {
    const s = d.who(request);
    const id = request.params.id;
    const protocol = await visibleGateway(s, id);
    const latest = async (messageType: string) => {
      const [r] = await listDeviceResponses(d.db, s.organisationIdentification, id, messageType, 1);
      return r ? { correlationUid: r.correlationUid, at: r.createdAt.toISOString(), result: r.result, data: r.messageData?.data ?? null, error: r.messageData?.error ?? null } : null;
    };
    // The organisation's newest request of a kind, whether still running or done (then with its answer).
    const newest = async (messageType: string) => {
      const [r] = (await listFleetRequests(d.db, { viewer: s.organisationIdentification, filter: { device: id, messageType }, limit: 1 })).requests;
      if (!r) return null;
      const [answer] = r.status === 'DONE' ? await responsesOf(d.db, [r.correlationUid]) : [];
      const data = (answer?.messageData ?? null) as { data?: unknown; error?: { code: number; codeName: string; message: string } } | null;
      return {
        correlationUid: r.correlationUid, status: r.status, result: r.result, errorCode: r.errorCode, attempts: r.attempts, retries: r.retries,
        createdAt: r.createdAt, completedAt: r.completedAt, data: data?.data ?? null, error: data?.error ? { code: data.error.code, codeName: data.error.codeName, message: data.error.message } : null,
      };
    };
    const [reads, alarms, events, interval, keyRotation, firmwareUpdate] = await Promise.all([
      latest('REQUEST_ACTUAL_METER_DATA'), latest('READ_ALARM_REGISTER'), latest('FIND_EVENTS'), latest('REQUEST_PERIODIC_METER_DATA'), newest(ROTATE_KEYS), newest(UPDATE_FIRMWARE),
    ]);
    // The image transfer's progress, when it belongs to that request of this organisation.
    const t = firmwareUpdate ? await getTransferProgress(d.db, id) : undefined;
    const transfer = t && t.correlationUid === firmwareUpdate!.correlationUid
      ? { firmwareIdentification: t.firmwareIdentification, step: t.step, nextBlock: t.nextBlock, blocks: t.blocks ?? null }
      : null;
    return {
      deviceIdentification: id, protocol, reads, alarms, events, interval, eventLogCategories: eventLogCategoriesOf(protocol),
      keyRotation, firmwareUpdate: firmwareUpdate ? { ...firmwareUpdate, transfer } : null,
    };
  });

  api.post<{ Params: { id: string } }>('/console/api/meters/:id/actions', async (request, reply) => {
    const s = d.who(request);
    const id = request.params.id;
    const body = d.parse(meterAction, request.body ?? {});
    const protocol = await visibleGateway(s, id);
    if (body.action === 'update-firmware') {
      // Only a file this organisation may send to this meter (GET /console/api/firmware-files?device=).
      const usable = await listUsableFirmwareFiles(d.db, { device: id, withImageIdentifier: true });
      if (!usable.some((f) => f.identification === body.firmwareIdentification)) {
        throw new MeterfabricError(ErrorCode.UNKNOWN_FIRMWARE, `No firmware file ${body.firmwareIdentification} fits device ${id}`, { component: 'WS_SMART_METERING', retryable: false });
      }
    }
    const window = body.action === 'find-events' ? { from: new Date(body.from).toISOString(), until: new Date(body.until).toISOString() } : undefined;
    const [messageType, payload] =
      body.action === 'read-actual' ? ['REQUEST_ACTUAL_METER_DATA', {}]
        : body.action === 'read-alarms' ? ['READ_ALARM_REGISTER', {}]
          : body.action === 'clear-alarms' ? ['CLEAR_ALARM_REGISTER', {}]
            : body.action === 'read-interval' ? ['REQUEST_PERIODIC_METER_DATA', intervalDay(body.day)]
            : body.action === 'rotate-keys' ? [ROTATE_KEYS, {}]
            : body.action === 'update-firmware' ? [UPDATE_FIRMWARE, { firmwareIdentification: body.firmwareIdentification }]
            : ['FIND_EVENTS', { queries: (body.eventLogCategory ? [body.eventLogCategory] : eventLogCategoriesOf(protocol)).map((eventLogCategory) => ({ eventLogCategory, ...window })) }];
    const { correlationUid } = await d.submitAs(s, id, messageType, payload);
    return reply.code(202).send({ correlationUid, messageType });
  });
}

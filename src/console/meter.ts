/**
 * The console's meter page API (src/console/README.md "Pages"): the latest stored actual reads, alarm register read
 * and event list of a gateway for the signed-in organisation, and the actions that ask the meter for new ones
 * (GetActualMeterReads, ReadAlarmRegister, ClearAlarmRegister, FindEvents: one log, or every log the meter's protocol
 * has; GetPeriodicMeterReads INTERVAL of one UTC day for the profile chart), submitted as that organisation.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Queryable } from '../platform/db/db.ts';
import { listDeviceResponses } from '../platform/responses.ts';
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
]);

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
    const [reads, alarms, events, interval] = await Promise.all([latest('REQUEST_ACTUAL_METER_DATA'), latest('READ_ALARM_REGISTER'), latest('FIND_EVENTS'), latest('REQUEST_PERIODIC_METER_DATA')]);
    return { deviceIdentification: id, protocol, reads, alarms, events, interval, eventLogCategories: eventLogCategoriesOf(protocol) };
  });

  api.post<{ Params: { id: string } }>('/console/api/meters/:id/actions', async (request, reply) => {
    const s = d.who(request);
    const id = request.params.id;
    const body = d.parse(meterAction, request.body ?? {});
    const protocol = await visibleGateway(s, id);
    const window = body.action === 'find-events' ? { from: new Date(body.from).toISOString(), until: new Date(body.until).toISOString() } : undefined;
    const [messageType, payload] =
      body.action === 'read-actual' ? ['REQUEST_ACTUAL_METER_DATA', {}]
        : body.action === 'read-alarms' ? ['READ_ALARM_REGISTER', {}]
          : body.action === 'clear-alarms' ? ['CLEAR_ALARM_REGISTER', {}]
            : body.action === 'read-interval' ? ['REQUEST_PERIODIC_METER_DATA', intervalDay(body.day)]
            : ['FIND_EVENTS', { queries: (body.eventLogCategory ? [body.eventLogCategory] : eventLogCategoriesOf(protocol)).map((eventLogCategory) => ({ eventLogCategory, ...window })) }];
    const { correlationUid } = await d.submitAs(s, id, messageType, payload);
    return reply.code(202).send({ correlationUid, messageType });
  });
}

/**
 * FindEvents: the entries of one or more event logs in a time window, as GXF reports them (OSGP/open-smart-grid-platform,
 * osgp-adapter-protocol-dlms FindEventsCommandExecutor and DataObjectToEventListConverter, osgp-adapter-domain-smartmetering
 * EventService; docs/monitoring.md#findevents): per query, in request order and in one association, one GET of the
 * log's buffer (class 7 attribute 2) with a range on the clock's time From..Until in the device's time zone and no
 * column selection; every entry must have the log's columns; the code is returned as sent and as GXF's EventType
 * (./event-types.ts); the communication session log's counter becomes eventCounter, the power-quality extended and
 * THD logs' magnitude and duration become eventDetails ("230.1 V"). A log the protocol does not have is refused
 * before the meter is contacted (416, not retried).
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { EVENT_LOGS, EVENT_LOG_CATEGORIES, eventDurationSource, eventMagnitudeSource, type EventLogCategory, type EventDetailSource } from '../../cosem/index.ts';
import type { ProfileEntry } from '../../dlms/profile.ts';
import { scaledValueString } from '../../dlms/scaler-unit.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { el, IncompleteResultError, record, text } from '../../api/soap/mapping.ts';
import { childElements } from '../../api/soap/xml.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { eventLogCategoriesOf, eventTypeOf } from './event-types.ts';
import { protocolError } from './meter-reads.ts';

export interface FoundEvent {
  timestamp: string;
  eventCode: number;
  eventType: string;
  eventLogCategory: EventLogCategory;
  eventCounter?: number;
  eventDetails?: { name: string; value: string }[];
}

export interface FindEventsResult {
  events: FoundEvent[];
}

const iso = z.iso.datetime({ offset: true });
const query = z.object({ eventLogCategory: z.enum(EVENT_LOG_CATEGORIES), from: iso, until: iso }).strict();
export type EventQuery = z.infer<typeof query>;

function integerCell(e: ProfileEntry, i: number, what: string): number {
  const c = e.cells[i]!;
  if (c.kind !== 'integer') throw protocolError(`${what}: expected a number, got ${c.kind === 'data' ? c.value.type : c.kind}`);
  return Number(c.value);
}

function detail(name: string, e: ProfileEntry, i: number, source: EventDetailSource | undefined, code: number, category: string): { name: string; value: string } {
  if (!source) throw protocolError(`No sourceObject mapped for event ${code} in ${category}`);
  const raw = integerCell(e, i, `${category} ${name}`);
  return { name, value: `${scaledValueString(BigInt(raw), source.scaler)} ${source.unit}` };
}

/** The events of one log's entries, GXF's way. */
export function eventsOf(category: EventLogCategory, entries: readonly ProfileEntry[], protocol: string): FoundEvent[] {
  const log = EVENT_LOGS[category];
  return entries.map((e, row) => {
    const t = e.cells[0]!;
    const instant = t.kind === 'date-time' ? t.value.instant : null;
    if (!instant) throw protocolError(`${category} entry ${row + 1}: the event time is not specified`);
    const eventCode = integerCell(e, 1, `${category} entry ${row + 1} event code`);
    const event: FoundEvent = { timestamp: instant.toISOString(), eventCode, eventType: eventTypeOf(eventCode, protocol), eventLogCategory: category };
    if (log.detail === 'counter') event.eventCounter = integerCell(e, 2, `${category} entry ${row + 1} counter`);
    if (log.detail === 'magnitude-duration') {
      event.eventDetails = [detail('magnitude', e, 2, eventMagnitudeSource(eventCode), eventCode, category), detail('duration', e, 3, eventDurationSource(eventCode), eventCode, category)];
    }
    if (log.detail === 'magnitude') event.eventDetails = [detail('magnitude', e, 2, eventMagnitudeSource(eventCode), eventCode, category)];
    return event;
  });
}

function renderEvent(v: unknown, p: string): string {
  const e = record(v, 'events[]');
  if (typeof e.timestamp !== 'string' || !Number.isInteger(e.eventCode) || typeof e.eventType !== 'string' || typeof e.eventLogCategory !== 'string') {
    throw new IncompleteResultError('events[]');
  }
  const details = Array.isArray(e.eventDetails) ? e.eventDetails : [];
  return (
    `<${p}:Events>${el(`${p}:timestamp`, e.timestamp)}${el(`${p}:eventCode`, e.eventCode as number)}${el(`${p}:eventType`, e.eventType)}` +
    el(`${p}:EventLogCategory`, e.eventLogCategory) +
    (Number.isInteger(e.eventCounter) ? el(`${p}:eventCounter`, e.eventCounter as number) : '') +
    details.map((d) => {
      const x = record(d, 'eventDetails[]');
      return `<${p}:eventDetails>${el(`${p}:name`, String(x.name))}${el(`${p}:value`, String(x.value))}</${p}:eventDetails>`;
    }).join('') +
    `</${p}:Events>`
  );
}

export default define({
  messageType: 'FIND_EVENTS',
  service: 'SmartMeteringManagement',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'FindEventsRequest',
  payload: z.object({ queries: z.array(query).min(1).max(8) }),
  soap: {
    request: 'FindEventsRequest',
    asyncResponse: 'FindEventsAsyncResponse',
    asyncRequest: 'FindEventsAsyncRequest',
    response: 'FindEventsResponse',
    wsdlOperations: ['FindEvents', 'GetFindEventsResponse'],
    family: 'strict',
    read: (r) => ({
      deviceIdentification: text(r, 'DeviceIdentification'),
      payload: {
        queries: childElements(r)
          .filter((c) => c.name === 'FindEventsRequestData')
          .map((q) => ({
            eventLogCategory: text(q, 'EventLogCategory') as EventLogCategory,
            from: new Date(text(q, 'From')).toISOString(),
            until: new Date(text(q, 'Until')).toISOString(),
          })),
      },
    }),
    render: (stored, p) => {
      const events = record(stored.data, 'data').events;
      if (!Array.isArray(events)) throw new IncompleteResultError('events');
      return events.map((e) => renderEvent(e, p)).join('');
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/events',
    operationId: 'findEvents',
    summary: 'Read the events of an event log between two instants (FindEvents)',
    tag: 'monitoring',
    params: gatewayParams,
    body: z.object({
      eventLogCategory: z.enum(EVENT_LOG_CATEGORIES).describe('The event log (GXF EventLogCategory)'),
      from: iso.describe('Oldest event time, inclusive (ISO 8601)'),
      until: iso.describe('Newest event time, inclusive (ISO 8601)'),
      ...requestOptions,
    }).strict(),
    toRequest: (params, body) => ({
      deviceIdentification: pathDevice(params),
      payload: { queries: [{ eventLogCategory: body.eventLogCategory as EventLogCategory, from: new Date(body.from as string).toISOString(), until: new Date(body.until as string).toISOString() }] },
    }),
  },
  async execute(ports, payload, ctx): Promise<FindEventsResult> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    const supported = eventLogCategoriesOf(device.protocol);
    for (const q of payload.queries) {
      if (!supported.includes(q.eventLogCategory)) {
        throw new MeterfabricError(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL, `No address found for ${q.eventLogCategory} in protocol ${device.protocol}`, { component: 'PROTOCOL_DLMS', retryable: false });
      }
    }
    const zone = (await ports.inventory.getTimezone(device.deviceIdentification)) ?? 'UTC';
    const events = await withLink(ports, device.deviceIdentification, ctx.signal, async (link) => {
      const out: FoundEvent[] = [];
      for (const q of payload.queries) {
        const entries = await link.readEventLog(EVENT_LOGS[q.eventLogCategory], { from: new Date(q.from), to: new Date(q.until), zone });
        out.push(...eventsOf(q.eventLogCategory, entries, device.protocol));
      }
      return out;
    });
    return { events };
  },
});

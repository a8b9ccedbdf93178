/**
 * Notifications that a response is available: SOAP SendNotification (docs/gxf.md#notifications) for SOAP callers and a
 * JSON webhook POST for REST callers. Rows are written in the same transaction as the response (an outbox), sent
 * at once, and on failure resent at about 2, 6 and 14 minutes after creation. The first delivery always happens,
 * as GXF always notifies, even when the caller fetched the response before the sender got to it; resends stop once
 * the response was fetched, and everything stops once it was deleted (better than GXF, docs/gxf.md#where-meterfabric-differs item 11).
 *
 * Targets are checked at every delivery against the organisation's allowlist and the internal-address rule, and a
 * redirect is a failed delivery (src/platform/outbound.ts): a target that is no longer allowed is given up.
 */
import type { Db, Queryable } from './db/db.ts';
import type { Logger } from '../observability/logger.ts';
import { scrubText } from '../observability/logger.ts';
import { checkAllowed, postNotification } from './outbound.ts';
import { Batcher } from './batch.ts';

export const NOTIFICATION_NS = 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-notification/2014/10';
/** Outgoing notification headers use this namespace, without /2014/10 (docs/gxf.md#notifications). */
export const NOTIFICATION_HEADER_NS = 'http://www.opensmartgridplatform.org/schemas/common';

export interface NotificationOptions {
  /** Offsets from creation of the resends after a failed delivery (default 2, 6, 14 min). */
  resendOffsetsMs?: number[];
  /** OrganisationIdentification header of outgoing notifications (default OSGP). */
  platformOrganisation?: string;
  /** UserName header (default meterfabric). */
  userName?: string;
  /** Per-delivery timeout (default 30 s). */
  timeoutMs?: number;
  /** Poll interval of the sender (default 1 s). */
  pollMs?: number;
  /** Rounds (claims of up to 100 notifications each) delivering at the same time (default 4). */
  maxRounds?: number;
}

export interface NotificationContent {
  correlationUid: string;
  deviceIdentification: string;
  messageType: string;
  result: string;
  message?: string;
}

const esc = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/** The SOAP 1.1 SendNotificationRequest envelope (notification-ws-smartmetering.xsd). */
export function sendNotificationEnvelope(n: NotificationContent, headers: { organisation: string; userName: string; applicationName?: string }): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">' +
    `<SOAP-ENV:Header xmlns:common="${NOTIFICATION_HEADER_NS}">` +
    `<common:OrganisationIdentification>${esc(headers.organisation)}</common:OrganisationIdentification>` +
    `<common:UserName>${esc(headers.userName)}</common:UserName>` +
    `<common:ApplicationName>${esc(headers.applicationName ?? 'SMART_METERS')}</common:ApplicationName>` +
    '</SOAP-ENV:Header>' +
    '<SOAP-ENV:Body>' +
    `<ns2:SendNotificationRequest xmlns:ns2="${NOTIFICATION_NS}">` +
    '<ns2:Notification>' +
    (n.message !== undefined ? `<ns2:message>${esc(n.message)}</ns2:message>` : '') +
    `<ns2:result>${esc(n.result)}</ns2:result>` +
    `<ns2:deviceIdentification>${esc(n.deviceIdentification)}</ns2:deviceIdentification>` +
    `<ns2:correlationUid>${esc(n.correlationUid)}</ns2:correlationUid>` +
    `<ns2:NotificationType>${esc(n.messageType)}</ns2:NotificationType>` +
    '</ns2:Notification>' +
    '</ns2:SendNotificationRequest>' +
    '</SOAP-ENV:Body>' +
    '</SOAP-ENV:Envelope>'
  );
}

/** Adds the outbox row for a response, inside the caller's transaction. No target, no notification (docs/gxf.md#notifications). */
export async function enqueueNotification(q: Queryable, correlationUid: string, kind: 'SOAP' | 'WEBHOOK', targetUrl: string | null | undefined): Promise<void> {
  if (!targetUrl) return;
  await q.query('INSERT INTO notification (correlation_uid, kind, target_url) VALUES ($1, $2, $3)', [correlationUid, kind, targetUrl]);
}

interface DueRow {
  id: number;
  correlation_uid: string;
  kind: 'SOAP' | 'WEBHOOK';
  target_url: string;
  attempts: number;
  /** Set when an earlier delivery failed: this delivery is then a resend. */
  last_error: string | null;
  created_at: Date | string;
  organisation_identification: string;
  allowed_urls: string[] | null;
  device_identification: string;
  message_type: string;
  result_type: string;
  message_data: { error?: { message?: string; code?: number; codeName?: string } } | null;
  fetched_at: Date | null;
  /** Whether the response still exists (false: deleted, nothing to notify). */
  has_response: boolean;
}

export class NotificationSender {
  readonly #db: Db;
  readonly #log: Logger;
  readonly #opts: Required<NotificationOptions>;
  #timer: NodeJS.Timeout | undefined;
  /** Rounds delivering now; each claims its own rows (SKIP LOCKED). */
  readonly #running = new Set<Promise<void>>();
  #started = false;
  #stopped = false;
  /** A round's claim statement is running (rows committed meanwhile may not be in it). */
  #claiming = false;
  /** Set by wake() while a claim runs or every round slot is taken: start a round as soon as that ends. */
  #again = false;
  /**
   * Deliveries that succeeded, marked DELIVERED (and counted on the response) together: one statement for the
   * notifications delivered at about the same time, not a transaction each.
   */
  readonly #delivered: Batcher<{ id: number; correlationUid: string }, void>;

  constructor(db: Db, log: Logger, opts: NotificationOptions = {}) {
    this.#db = db;
    this.#log = log;
    this.#opts = {
      resendOffsetsMs: opts.resendOffsetsMs ?? [2 * 60_000, 6 * 60_000, 14 * 60_000],
      platformOrganisation: opts.platformOrganisation ?? 'OSGP',
      userName: opts.userName ?? 'meterfabric',
      timeoutMs: opts.timeoutMs ?? 30_000,
      pollMs: opts.pollMs ?? 1000,
      maxRounds: Math.max(1, opts.maxRounds ?? 4),
    };
    this.#delivered = new Batcher<{ id: number; correlationUid: string }, void>(async (items) => {
      await this.#db.query(
        `WITH d AS (
           UPDATE notification SET state = 'DELIVERED', delivered_at = now(), last_error = NULL WHERE id = ANY($1::bigint[]) RETURNING correlation_uid
         ), c AS (SELECT correlation_uid, count(*)::int AS n FROM d GROUP BY correlation_uid
         ), locked AS MATERIALIZED (
           -- in correlation_uid order, as the batched fetch of responses locks them (no deadlocks)
           SELECT r.correlation_uid, c.n FROM response_data r JOIN c ON c.correlation_uid = r.correlation_uid
            ORDER BY r.correlation_uid FOR UPDATE OF r
         )
         UPDATE response_data r SET number_of_notifications_sent = r.number_of_notifications_sent + l.n
           FROM locked l WHERE r.correlation_uid = l.correlation_uid`,
        [items.map((i) => i.id)],
      );
      return items.map((): void => undefined);
    });
  }

  start(): void {
    this.#started = true;
    this.#timer = setTimeout(() => this.#round(), 0);
  }

  /**
   * One round: claim, then deliver. Several rounds deliver at once, so one slow target does not hold up the
   * notifications claimed after it; the next round may claim as soon as the previous claim returned. A claim that
   * came back full, or rows committed while a claim ran (wake), start another round at once: a backlog is worked
   * off at the rate deliveries allow, not a batch per poll.
   */
  #round(): void {
    if (this.#stopped) return;
    if (this.#claiming || this.#running.size >= this.#opts.maxRounds) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#again = false;
    this.#claiming = true;
    const limit = 100;
    let claimDone = false;
    const claimed = (n: number) => {
      claimDone = true;
      this.#claiming = false;
      if (n >= limit || this.#again) this.#round();
    };
    const round: Promise<void> = this.#sendDue(limit, claimed)
      .then(() => undefined)
      .catch((e) => this.#log.warn({ err: e }, 'notification round failed'))
      .finally(() => {
        this.#running.delete(round);
        if (!claimDone) claimed(0); // the claim failed
        if (this.#stopped) return;
        if (this.#again) this.#round();
        else if (this.#running.size === 0 && this.#timer === undefined) this.#timer = setTimeout(() => this.#round(), this.#opts.pollMs);
      });
    this.#running.add(round);
  }

  /** New outbox rows were committed in this process: send them now rather than at the next poll. */
  wake(): void {
    if (this.#started) this.#round();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await Promise.all(this.#running);
  }

  /**
   * Claims due notifications (SKIP LOCKED, so several workers never send the same one at once) with their responses
   * and organisations' allowlists, in one statement, and sends them.
   */
  async sendDue(limit = 100): Promise<number> {
    return (await this.#sendDue(limit)).sent;
  }

  async #sendDue(limit: number, onClaimed?: (claimed: number) => void): Promise<{ claimed: number; sent: number }> {
    // The claim pushes next_attempt_at out by the delivery timeout: a sender that dies mid-delivery leaves the row
    // to be picked up again after that lease.
    const claimed = await this.#db.query<DueRow>(
      `WITH due AS (
         SELECT n.id FROM notification n
          WHERE n.state = 'PENDING' AND n.next_attempt_at <= now()
          ORDER BY n.next_attempt_at
          LIMIT $1
          FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE notification n SET next_attempt_at = now() + ($2::int * interval '1 millisecond'), attempts = n.attempts + 1
           FROM due WHERE n.id = due.id
         RETURNING n.id, n.correlation_uid, n.kind, n.target_url, n.attempts, n.last_error, n.created_at
       )
       SELECT c.*, r.organisation_identification, r.device_identification, r.message_type, r.result_type, r.message_data, r.fetched_at,
              o.allowed_urls, r.correlation_uid IS NOT NULL AS has_response
         FROM claimed c LEFT JOIN response_data r ON r.correlation_uid = c.correlation_uid
         LEFT JOIN organisation o ON o.identification = r.organisation_identification`,
      [limit, this.#opts.timeoutMs * 2],
    );
    onClaimed?.(claimed.rows.length);
    let sent = 0;
    await Promise.all(
      claimed.rows.map(async (row) => {
        const resp = row.has_response ? row : undefined;
        // Deleted: nothing to notify. Fetched: the caller has it, so a resend is pointless; the first delivery
        // (no failed attempt before it) still goes out.
        const resend = row.last_error !== null;
        if (!resp || (resp.fetched_at && resend)) {
          await this.#db.query(`UPDATE notification SET state = 'CANCELLED' WHERE id = $1`, [row.id]);
          return;
        }
        let target: URL;
        try {
          target = checkAllowed(row.target_url, resp.allowed_urls ?? [], resp.organisation_identification, 'Notification target');
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          this.#log.warn({ correlationUid: row.correlation_uid, err: message }, 'notification target refused');
          await this.#db.query(`UPDATE notification SET state = 'GAVE_UP', last_error = $2 WHERE id = $1`, [row.id, message.slice(0, 500)]);
          return;
        }
        const content: NotificationContent = {
          correlationUid: row.correlation_uid,
          deviceIdentification: resp.device_identification,
          messageType: resp.message_type,
          result: resp.result_type,
          message: row.attempts > 1 ? `Response of type ${resp.message_type} is available.` : scrubbedMessage(resp.message_data?.error?.message),
        };
        try {
          await this.#deliver(row.kind, target, content);
          sent++;
          await this.#delivered.submit({ id: Number(row.id), correlationUid: row.correlation_uid });
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          const created = new Date(row.created_at).getTime();
          const offset = this.#opts.resendOffsetsMs[row.attempts - 1];
          this.#log.warn({ correlationUid: row.correlation_uid, attempt: row.attempts, err: message }, 'notification delivery failed');
          if (offset === undefined) {
            await this.#db.query(`UPDATE notification SET state = 'GAVE_UP', last_error = $2 WHERE id = $1`, [row.id, message.slice(0, 500)]);
          } else {
            await this.#db.query('UPDATE notification SET next_attempt_at = $2, last_error = $3 WHERE id = $1', [
              row.id, new Date(Math.max(created + offset, Date.now())), message.slice(0, 500),
            ]);
          }
        }
      }),
    );
    return { claimed: claimed.rows.length, sent };
  }

  async #deliver(kind: 'SOAP' | 'WEBHOOK', url: URL, n: NotificationContent): Promise<void> {
    const init =
      kind === 'SOAP'
        ? {
            headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
            body: sendNotificationEnvelope(n, { organisation: this.#opts.platformOrganisation, userName: this.#opts.userName }),
          }
        : {
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ correlationUid: n.correlationUid, deviceIdentification: n.deviceIdentification, messageType: n.messageType, result: n.result, ...(n.message !== undefined ? { message: n.message } : {}) }),
          };
    const status = await postNotification(url, { ...init, timeoutMs: this.#opts.timeoutMs });
    if (status >= 300 && status < 400) throw new Error(`HTTP ${status} from notification target (redirects are not followed)`);
    if (status < 200 || status >= 300) throw new Error(`HTTP ${status} from notification target`);
  }
}

/** A stored error message as it may leave the platform: no key-like hex (src/observability/logger.ts). */
function scrubbedMessage(message: string | undefined): string | undefined {
  return message === undefined ? undefined : scrubText(message);
}

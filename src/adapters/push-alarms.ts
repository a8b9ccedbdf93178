/**
 * The alarm use case (docs/push.md#what-happens-to-an-alarm): a meter pushes "new M-Bus device discovered on channel x"; the platform
 * stores the alarm as a PUSH_NOTIFICATION_ALARM response for the device's OWNER, notifies it (SendNotification
 * with result OK and the E-meter as deviceIdentification, and a webhook), and, when the organisation enabled the
 * policy, runs SetMbusUserKeyByChannel for the reported channel itself, rate-limited. A plaintext push is
 * unauthenticated, so it triggers that only when the organisation allows plaintext triggers too.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../platform/db/db.ts';
import type { Platform } from '../platform/platform.ts';
import { enqueueNotification } from '../platform/notifications.ts';
import setMbusUserKeyByChannel from '../operations/configuration/set-mbus-user-key-by-channel.ts';
import type { PushDecipher, PushNotification } from '../push/decode.ts';
import type { PushSource } from '../push/listener.ts';
import { newMbusDeviceChannel } from '../push/alarms.ts';
import { gloUnprotect } from '../dlms/security/glo.ts';
import type { SecretStore } from '../secrets/store.ts';
import { MeterfabricError, ErrorCode, type MeterfabricError as MfError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { metrics } from '../observability/metrics.ts';

export const PUSH_NOTIFICATION_ALARM = 'PUSH_NOTIFICATION_ALARM';

export interface AlarmData {
  alarms: string[];
  unknownBits: { register: number; bit: number }[];
  decodedMessage: string;
  /** Hex of the bytes received. */
  encodedMessage: string;
  format: string;
  triggerType: string;
}

/** What the automatic rekey policy decided for a pushed alarm (push_message.auto_rekey). */
export type AutoRekeyDecision = 'REQUESTED' | 'RATE_LIMITED' | 'OFF' | 'PLAINTEXT_REFUSED' | 'NO_CHANNEL';

export interface PushAlarmOptions {
  /** At most one automatic rekey per gateway channel in this window (default 10 minutes). */
  autoRekeyWindowMs?: number;
  log?: Logger;
}

/** Looks up the E-meter by the sender system title and deciphers with its keys; the counter must increase. */
export function pushDecipher(db: Db, secrets: SecretStore): PushDecipher {
  return async (systemTitle, sc, ic, cipherAndTag) => {
    const title = systemTitle.toString('hex').toUpperCase();
    const r = await db.query<{ device_identification: string }>('SELECT device_identification FROM device WHERE meter_system_title = $1', [title]);
    if (r.rowCount > 1) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `System title ${title} is used by ${r.rowCount} devices`, { retryable: false });
    const device = r.rows[0]?.device_identification;
    if (!device) throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `No device with system title ${title}`, { retryable: false });
    const [ek, ak] = await Promise.all([secrets.getActive(device, 'E_METER_ENCRYPTION_KEY_UNICAST'), secrets.getActive(device, 'E_METER_AUTHENTICATION_KEY')]);
    if (!ek || !ak) throw new MeterfabricError(ErrorCode.KEY_NOT_PRESENT, `No keys to decipher pushes of ${device}`, { retryable: false });
    const plaintext = gloUnprotect({ content: cipherAndTag, securityControl: sc, systemTitle, invocationCounter: ic, keys: { ek: ek.key, ak: ak.key } });
    // Only after the tag verified: record the counter; a replayed or older push is refused.
    const up = await db.query(
      `INSERT INTO push_invocation_counter (device_identification, last_value) VALUES ($1, $2)
       ON CONFLICT (device_identification) DO UPDATE SET last_value = EXCLUDED.last_value, updated_at = now()
         WHERE push_invocation_counter.last_value < EXCLUDED.last_value`,
      [device, ic],
    );
    if (up.rowCount === 0) throw new MeterfabricError(ErrorCode.ATTEMPT_TO_LOWER_INVOCATION_COUNTER, `Push of ${device} with invocation counter ${ic} is not newer than the last one`, { retryable: false });
    return { plaintext, deviceIdentification: device };
  };
}

export class PushAlarmService {
  readonly #windowMs: number;
  constructor(
    private readonly platform: Platform,
    options: PushAlarmOptions = {},
  ) {
    this.#windowMs = options.autoRekeyWindowMs ?? 10 * 60_000;
  }

  /** Records a push that could not be decoded (nothing is forwarded; the bytes are kept for diagnosis). */
  async rejected(error: MfError, raw: Buffer, source: PushSource): Promise<void> {
    metrics.pushesReceived.inc({ transport: source.transport, outcome: 'rejected' });
    await this.platform.db.query('INSERT INTO push_message (transport, source_address, encoded, error) VALUES ($1, $2, $3, $4)', [
      source.transport, source.address, raw, error.message.slice(0, 500),
    ]);
  }

  /** Handles one decoded push; returns the correlation uid of the stored alarm, if one was stored. */
  async received(push: PushNotification, source: PushSource): Promise<string | undefined> {
    const db = this.platform.db;
    const log = this.platform.log.child({ component: 'push', deviceIdentification: push.deviceIdentification });
    const owner = await db.query<{ organisation_identification: string; notification_url: string | null; webhook_url: string | null; auto_rekey_on_alarm: boolean; auto_rekey_allow_plaintext: boolean }>(
      `SELECT a.organisation_identification, o.notification_url, o.webhook_url, o.auto_rekey_on_alarm, o.auto_rekey_allow_plaintext
         FROM device_authorisation a JOIN organisation o ON o.identification = a.organisation_identification
        WHERE a.device_identification = $1 AND a.function_group = 'OWNER' ORDER BY a.created_at LIMIT 1`,
      [push.deviceIdentification],
    );
    const org = owner.rows[0];
    const isAlarm = push.trigger === 'Push alarm monitor';
    const correlationUid = isAlarm && org ? randomUUID().replace(/-/g, '') : undefined;
    const data: AlarmData = {
      alarms: push.alarms,
      unknownBits: push.unknownBits,
      decodedMessage: `PushNotificationAlarm[device=${push.deviceIdentification}, alarms=[${push.alarms.join(', ')}]]`,
      encodedMessage: push.raw.toString('hex').toUpperCase(),
      format: push.format,
      triggerType: push.trigger,
    };
    const pushId = await db.tx(async (q) => {
      const stored = await q.query<{ id: string }>(
        `INSERT INTO push_message (transport, source_address, device_identification, format, trigger_type, alarms, unknown_bits, encoded, correlation_uid, error)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id`,
        [source.transport, source.address, push.deviceIdentification, push.format, push.trigger, JSON.stringify(push.alarms), JSON.stringify(push.unknownBits), push.raw,
          correlationUid ?? null, org ? null : 'no OWNER organisation for this device'],
      );
      if (!correlationUid || !org) return stored.rows[0]!.id;
      await q.query(
        `INSERT INTO response_data (correlation_uid, organisation_identification, device_identification, message_type, result_type, message_data)
         VALUES ($1, $2, $3, $4, 'OK', $5)`,
        [correlationUid, org.organisation_identification, push.deviceIdentification, PUSH_NOTIFICATION_ALARM, JSON.stringify({ data })],
      );
      await enqueueNotification(q, correlationUid, 'SOAP', org.notification_url);
      await enqueueNotification(q, correlationUid, 'WEBHOOK', org.webhook_url);
      return stored.rows[0]!.id;
    });
    metrics.pushesReceived.inc({ transport: source.transport, outcome: org ? 'stored' : 'no-owner' });
    if (!org || !isAlarm) return correlationUid;
    let decision: AutoRekeyDecision = 'NO_CHANNEL';
    if (!org.auto_rekey_on_alarm) decision = 'OFF';
    else if (push.format !== 'SMR5_CIPHERED' && !org.auto_rekey_allow_plaintext) decision = 'PLAINTEXT_REFUSED';
    else {
      for (const alarm of push.alarms) {
        const channel = newMbusDeviceChannel(alarm);
        if (!channel) continue;
        const requested = await this.#autoRekey(org.organisation_identification, org.notification_url ? 'SOAP' : 'REST', push.deviceIdentification, channel, log);
        decision = requested ? 'REQUESTED' : decision === 'REQUESTED' ? decision : 'RATE_LIMITED';
      }
    }
    await db.query('UPDATE push_message SET auto_rekey = $2 WHERE id = $1', [pushId, decision]);
    return correlationUid;
  }

  /** Queues SetMbusUserKeyByChannel for the channel unless one was requested within the window; true when queued. */
  async #autoRekey(organisation: string, api: 'SOAP' | 'REST', gateway: string, channel: number, log: Logger): Promise<boolean> {
    const recent = await this.platform.db.query(
      `SELECT 1 FROM request WHERE device_identification = $1 AND message_type = $2 AND user_name = 'push-alarm'
          AND (payload->>'channel')::int = $3 AND created_at > now() - ($4::int * interval '1 millisecond') LIMIT 1`,
      [gateway, setMbusUserKeyByChannel.messageType, channel, this.#windowMs],
    );
    if (recent.rowCount > 0) {
      log.info({ channel }, 'automatic M-Bus user key already requested recently for this channel; not again');
      return false;
    }
    const { correlationUid } = await this.platform.requests.submit({
      organisationIdentification: organisation,
      userName: 'push-alarm',
      applicationName: 'meterfabric',
      deviceIdentification: gateway,
      messageType: setMbusUserKeyByChannel.messageType,
      payload: { channel },
      priority: 6,
      channel: api,
    });
    log.info({ channel, correlationUid }, 'automatic SetMbusUserKeyByChannel after a new M-Bus device alarm');
    return true;
  }
}

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
import { devicesWithSystemTitle, findDeviceOwner } from '../platform/inventory.ts';
import { raisePushInvocationCounter, recordPush, recordRejectedPush, setPushAutoRekey } from '../platform/push-messages.ts';
import { storeUnrequestedResponse } from '../platform/responses.ts';
import { hasRecentChannelRequest } from '../platform/requests.ts';
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
    const devices = await devicesWithSystemTitle(db, title);
    if (devices.length > 1) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `System title ${title} is used by ${devices.length} devices`, { retryable: false });
    const device = devices[0];
    if (!device) throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `No device with system title ${title}`, { retryable: false });
    const [ek, ak] = await Promise.all([secrets.getActive(device, 'E_METER_ENCRYPTION_KEY_UNICAST'), secrets.getActive(device, 'E_METER_AUTHENTICATION_KEY')]);
    if (!ek || !ak) throw new MeterfabricError(ErrorCode.KEY_NOT_PRESENT, `No keys to decipher pushes of ${device}`, { retryable: false });
    const plaintext = gloUnprotect({ content: cipherAndTag, securityControl: sc, systemTitle, invocationCounter: ic, keys: { ek: ek.key, ak: ak.key } });
    // Only after the tag verified: record the counter; a replayed or older push is refused.
    if (!(await raisePushInvocationCounter(db, device, ic))) throw new MeterfabricError(ErrorCode.ATTEMPT_TO_LOWER_INVOCATION_COUNTER, `Push of ${device} with invocation counter ${ic} is not newer than the last one`, { retryable: false });
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
    await recordRejectedPush(this.platform.db, { transport: source.transport, sourceAddress: source.address, encoded: raw, error: error.message.slice(0, 500) });
  }

  /** Handles one decoded push; returns the correlation uid of the stored alarm, if one was stored. */
  async received(push: PushNotification, source: PushSource): Promise<string | undefined> {
    const db = this.platform.db;
    const log = this.platform.log.child({ component: 'push', deviceIdentification: push.deviceIdentification });
    const org = await findDeviceOwner(db, push.deviceIdentification);
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
      const storedId = await recordPush(q, {
        transport: source.transport, sourceAddress: source.address, deviceIdentification: push.deviceIdentification, format: push.format,
        triggerType: push.trigger, alarms: push.alarms, unknownBits: push.unknownBits, encoded: push.raw,
        correlationUid: correlationUid ?? null, error: org ? null : 'no OWNER organisation for this device',
      });
      if (!correlationUid || !org) return storedId;
      await storeUnrequestedResponse(q, {
        correlationUid, organisationIdentification: org.organisationIdentification, deviceIdentification: push.deviceIdentification,
        messageType: PUSH_NOTIFICATION_ALARM, result: 'OK', data,
      });
      await enqueueNotification(q, correlationUid, 'SOAP', org.notificationUrl);
      await enqueueNotification(q, correlationUid, 'WEBHOOK', org.webhookUrl);
      return storedId;
    });
    metrics.pushesReceived.inc({ transport: source.transport, outcome: org ? 'stored' : 'no-owner' });
    if (!org || !isAlarm) return correlationUid;
    let decision: AutoRekeyDecision = 'NO_CHANNEL';
    if (!org.autoRekeyOnAlarm) decision = 'OFF';
    else if (push.format !== 'SMR5_CIPHERED' && !org.autoRekeyAllowPlaintext) decision = 'PLAINTEXT_REFUSED';
    else {
      for (const alarm of push.alarms) {
        const channel = newMbusDeviceChannel(alarm);
        if (!channel) continue;
        const requested = await this.#autoRekey(org.organisationIdentification, org.notificationUrl ? 'SOAP' : 'REST', push.deviceIdentification, channel, log);
        decision = requested ? 'REQUESTED' : decision === 'REQUESTED' ? decision : 'RATE_LIMITED';
      }
    }
    await setPushAutoRekey(db, pushId, decision);
    return correlationUid;
  }

  /** Queues SetMbusUserKeyByChannel for the channel unless one was requested within the window; true when queued. */
  async #autoRekey(organisation: string, api: 'SOAP' | 'REST', gateway: string, channel: number, log: Logger): Promise<boolean> {
    const recent = await hasRecentChannelRequest(this.platform.db, {
      deviceIdentification: gateway, messageType: setMbusUserKeyByChannel.messageType, userName: 'push-alarm', channel, withinMs: this.#windowMs,
    });
    if (recent) {
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

/**
 * An in-memory stand-in for the platform's request API (src/api/rest/platform-api.ts), for the SOAP and REST
 * tests and the SOAP benchmark. It refuses what the real platform refuses synchronously (unknown organisation,
 * unknown device) and lets a test store the outcome of a request.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, MeterfabricError } from '../../../src/errors.ts';
import type { ResultType } from '../../../src/platform/operations.ts';
import type { PlatformApi, StoredError, StoredResponse, SubmitRequest } from '../../../src/api/rest/platform-api.ts';

export const KNOWN_ORGANISATION = 'test-org';
export const UNKNOWN_DEVICE = 'UNKNOWN0000000000';

export class FakePlatform implements PlatformApi {
  readonly submitted: (SubmitRequest & { correlationUid: string })[] = [];
  readonly responses = new Map<string, StoredResponse>();
  readonly #byUid = new Map<string, SubmitRequest & { correlationUid: string }>();
  /** When set, submit throws it (after recording nothing). */
  refuseWith?: Error;

  readonly requests = {
    submit: async (r: SubmitRequest): Promise<{ correlationUid: string }> => {
      if (this.refuseWith) throw this.refuseWith;
      if (r.organisationIdentification !== KNOWN_ORGANISATION && r.organisationIdentification !== 'other-org') {
        throw new MeterfabricError(ErrorCode.UNKNOWN_ORGANISATION, `Organisation ${r.organisationIdentification} is unknown`, { component: 'WS_SMART_METERING' });
      }
      if (r.deviceIdentification === UNKNOWN_DEVICE) {
        throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `Device ${r.deviceIdentification} is unknown`, { component: 'DOMAIN_CORE' });
      }
      const correlationUid = `${r.organisationIdentification}|||${r.deviceIdentification}|||20261124033000123|||${randomUUID()}`;
      const recorded = { ...r, correlationUid };
      this.submitted.push(recorded);
      this.#byUid.set(correlationUid, recorded);
      return { correlationUid };
    },
    getResponse: async (correlationUid: string, organisationIdentification: string): Promise<StoredResponse> => {
      const r = this.responses.get(correlationUid);
      if (!r || r.organisationIdentification !== organisationIdentification) throw unknownCorrelationUid();
      return r;
    },
    deleteResponse: async (correlationUid: string, organisationIdentification: string): Promise<void> => {
      const r = this.responses.get(correlationUid);
      if (!r || r.organisationIdentification !== organisationIdentification) throw unknownCorrelationUid();
      this.responses.delete(correlationUid);
    },
  };

  /** Stores the outcome of a submitted request, as the platform does when it finishes. */
  complete(correlationUid: string, result: ResultType, outcome: { data?: unknown; error?: StoredError } = {}): StoredResponse {
    const req = this.#byUid.get(correlationUid) ?? this.submitted.find((s) => s.correlationUid === correlationUid);
    if (!req) throw new Error(`no request ${correlationUid}`);
    const stored: StoredResponse = {
      correlationUid,
      organisationIdentification: req.organisationIdentification,
      deviceIdentification: req.deviceIdentification,
      messageType: req.messageType,
      result,
      ...outcome,
      createdAt: new Date('2026-11-24T03:30:01.000Z'),
    };
    this.responses.set(correlationUid, stored);
    return stored;
  }

  /** Stores a pushed alarm as src/adapters/push-alarms.ts does (message type PUSH_NOTIFICATION_ALARM, result OK). */
  storeAlarm(correlationUid: string, organisationIdentification: string, deviceIdentification: string, data: unknown): StoredResponse {
    const stored: StoredResponse = {
      correlationUid, organisationIdentification, deviceIdentification, messageType: 'PUSH_NOTIFICATION_ALARM', result: 'OK', data,
      createdAt: new Date('2026-11-24T04:00:00.000Z'),
    };
    this.responses.set(correlationUid, stored);
    return stored;
  }

  /** The alarm list of src/api/rest/alarms.ts over the stored responses. */
  readonly alarms = {
    listForDevice: async (organisationIdentification: string, deviceIdentification: string, limit: number): Promise<StoredResponse[]> => {
      if (deviceIdentification === UNKNOWN_DEVICE) {
        throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `Device ${deviceIdentification} is unknown`, { component: 'WS_SMART_METERING' });
      }
      return [...this.responses.values()]
        .filter((r) => r.messageType === 'PUSH_NOTIFICATION_ALARM' && r.organisationIdentification === organisationIdentification && r.deviceIdentification === deviceIdentification)
        .slice(0, limit);
    },
  };

  last(): SubmitRequest & { correlationUid: string } {
    const r = this.submitted.at(-1);
    if (!r) throw new Error('nothing submitted');
    return r;
  }
}

function unknownCorrelationUid(): MeterfabricError {
  return new MeterfabricError(ErrorCode.UNKNOWN_CORRELATION_UID, 'CorrelationUid is unknown.', { component: 'WS_SMART_METERING' });
}

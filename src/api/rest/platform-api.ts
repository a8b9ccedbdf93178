/**
 * The part of the platform's request API that the SOAP and REST interfaces use. Declared here, structurally, so
 * that the real Platform (src/platform) satisfies it without the API layer depending on its internals, and tests
 * can pass a small fake.
 */
import type { MessageTypeName, ResultType } from '../../platform/operations.ts';

export type Channel = 'SOAP' | 'REST';

export interface SubmitRequest {
  organisationIdentification: string;
  userName: string;
  applicationName: string;
  /** The device the authorisation is checked on (GXF-SEMANTICS §9.3). */
  deviceIdentification: string;
  messageType: MessageTypeName;
  payload: unknown;
  /** 0..9, default 4 (GXF-SEMANTICS §5). */
  priority?: number;
  scheduleTime?: Date;
  maxScheduleTime?: Date;
  bypassRetry?: boolean;
  responseUrl?: string;
  channel: Channel;
}

export interface StoredError {
  code: number;
  codeName: string;
  component: string;
  message: string;
}

export interface StoredResponse {
  correlationUid: string;
  organisationIdentification: string;
  deviceIdentification: string;
  messageType: string;
  result: ResultType;
  data?: unknown;
  error?: StoredError;
  createdAt: Date;
}

export interface PlatformApi {
  requests: {
    /** Throws MeterfabricError (101/104 WS_SMART_METERING, 201 DOMAIN_CORE, 301, 401 ...) when refused. */
    submit(request: SubmitRequest): Promise<{ correlationUid: string }>;
    /** Throws MeterfabricError 405 when unknown (or not the caller's). */
    getResponse(correlationUid: string, organisationIdentification: string): Promise<StoredResponse>;
    /** Throws MeterfabricError 405 when unknown (or not the caller's). */
    deleteResponse(correlationUid: string, organisationIdentification: string): Promise<unknown>;
  };
}

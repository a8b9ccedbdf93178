/**
 * The part of the platform's request API that the SOAP and REST interfaces use. Declared here, structurally, so
 * that the real Platform (src/platform) satisfies it without the API layer depending on its internals, and tests
 * can pass a small fake.
 */
import type { StoredError, StoredResponse, SubmitRequest } from '../../platform/operations.ts';

export type { SubmitRequest, StoredError, StoredResponse };

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

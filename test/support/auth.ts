/**
 * Credentials for tests of a bare API plugin (no database behind it): the real security hook
 * (src/api/security.ts) with a token verifier that knows tokens of the form `test:<organisation>`. Tests through
 * the head-end use real API tokens instead (test/support/http-headend.ts).
 */
import type { FastifyInstance } from 'fastify';
import { installSecurity } from '../../src/api/security.ts';
import { ErrorCode, MeterfabricError } from '../../src/errors.ts';

export function installTestSecurity(app: FastifyInstance, hosts?: readonly string[]): void {
  installSecurity(app, {
    verifyToken: async (token) => {
      if (token.startsWith('test:') && token.length > 5) return token.slice(5);
      throw new MeterfabricError(ErrorCode.AUTHENTICATION_ERROR, 'The token is not valid', { component: 'WS_SMART_METERING' });
    },
    ...(hosts ? { hosts } : {}),
  });
}

/** The Authorization header of a test token for `org`. */
export const bearer = (org: string): Record<string, string> => ({ authorization: `Bearer test:${org}` });

/** The organisation a SOAP envelope names in its OrganisationIdentification header, if any. */
export function soapOrganisation(envelope: string): string | undefined {
  return /<(?:[A-Za-z0-9_-]+:)?OrganisationIdentification>([^<]*)</.exec(envelope)?.[1]?.trim() || undefined;
}

/**
 * ADMIN routes (under /api/v1/admin) for API tokens, so `meterfabric org token ID` can issue one while the server
 * holds the embedded database. The token is returned once; only its hash is stored. Revoking withdraws every token
 * of the organisation and ends its console sessions.
 */
import type { FastifyInstance } from 'fastify';
import type { Queryable } from '../platform/db/db.ts';
import { revokeConsoleTokens } from './auth.ts';
import { issueApiToken } from '../platform/tokens.ts';

export function consoleAdminRoutes(db: Queryable): (app: FastifyInstance) => void {
  return (app) => {
    app.post<{ Params: { id: string } }>('/organisations/:id/tokens', async (request, reply) => {
      const issuer = request.caller?.organisationIdentification ?? 'admin';
      reply.code(201);
      return issueApiToken(db, request.params.id, `admin:${issuer}`);
    });
    app.delete<{ Params: { id: string } }>('/organisations/:id/tokens', async (request) => ({
      revoked: await revokeConsoleTokens(db, request.params.id),
    }));
  };
}

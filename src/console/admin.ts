/**
 * ADMIN routes (under /api/v1/admin) for console sign-in tokens, so `meterfabric org token ID` can issue one
 * while the server holds the embedded database. The token is returned once; only its hash is stored.
 */
import type { FastifyInstance } from 'fastify';
import type { Queryable } from '../platform/db/db.ts';
import { issueConsoleToken, revokeConsoleTokens } from './auth.ts';

export function consoleAdminRoutes(db: Queryable): (app: FastifyInstance) => void {
  return (app) => {
    app.post<{ Params: { id: string } }>('/organisations/:id/console-token', async (request, reply) => {
      const issuer = (request as unknown as { adminOrganisation?: string }).adminOrganisation ?? 'admin';
      reply.code(201);
      return issueConsoleToken(db, request.params.id, issuer);
    });
    app.delete<{ Params: { id: string } }>('/organisations/:id/console-token', async (request) => ({
      revoked: await revokeConsoleTokens(db, request.params.id),
    }));
  };
}

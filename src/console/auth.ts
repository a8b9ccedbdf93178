/**
 * Console sign-in: organisation tokens and sessions. A token or session id is 32 random bytes; only its SHA-256
 * hash is stored, so a copy of the database signs nobody in. Tokens are shown once, when issued.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../platform/db/db.ts';
import { getOrganisation, type Organisation } from '../platform/inventory.ts';
import { ErrorCode, MeterfabricError } from '../errors.ts';

export const TOKEN_PREFIX = 'mfc_';
/** Default session lifetime: one working day. */
export const DEFAULT_SESSION_TTL_MS = 8 * 3600_000;

export interface ConsoleSession {
  organisationIdentification: string;
  admin: boolean;
  via: 'TOKEN' | 'LOOPBACK';
  expiresAt: Date;
}

const hash = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const random = () => randomBytes(32).toString('base64url');

const authError = (message: string) =>
  new MeterfabricError(ErrorCode.AUTHENTICATION_ERROR, message, { component: 'WS_SMART_METERING', retryable: false });

/** Issues a console token for the organisation; the returned value is not stored and cannot be shown again. */
export async function issueConsoleToken(db: Queryable, organisationIdentification: string, issuedBy = 'cli'): Promise<{ token: string; organisationIdentification: string }> {
  await getOrganisation(db, organisationIdentification);
  const token = TOKEN_PREFIX + random();
  await db.query('INSERT INTO console_token (token_hash, organisation_identification, issued_by) VALUES ($1, $2, $3)', [hash(token), organisationIdentification, issuedBy]);
  return { token, organisationIdentification };
}

/** Revokes every console token of the organisation; returns how many were active. */
export async function revokeConsoleTokens(db: Queryable, organisationIdentification: string): Promise<number> {
  const r = await db.query('UPDATE console_token SET revoked_at = now() WHERE organisation_identification = $1 AND revoked_at IS NULL', [organisationIdentification]);
  await db.query('DELETE FROM console_session WHERE organisation_identification = $1 AND via = $2', [organisationIdentification, 'TOKEN']);
  return r.rowCount;
}

/** The organisation a valid, unrevoked token belongs to; AUTHENTICATION_ERROR otherwise. */
export async function organisationOfToken(db: Queryable, token: string): Promise<string> {
  if (typeof token !== 'string' || !token.startsWith(TOKEN_PREFIX) || token.length > 100) throw authError('The console token is not valid');
  const r = await db.query<{ organisation_identification: string }>(
    'SELECT organisation_identification FROM console_token WHERE token_hash = $1 AND revoked_at IS NULL',
    [hash(token)],
  );
  if (!r.rows[0]) throw authError('The console token is not valid');
  return r.rows[0].organisation_identification;
}

function checkEnabled(o: Organisation): void {
  if (!o.enabled) {
    throw new MeterfabricError(ErrorCode.DISABLED_ORGANISATION, `Organisation ${o.identification} is disabled`, { component: 'WS_SMART_METERING', retryable: false });
  }
}

/** Starts a session for an enabled organisation; returns the session id for the cookie. */
export async function createSession(db: Queryable, organisationIdentification: string, via: ConsoleSession['via'], ttlMs = DEFAULT_SESSION_TTL_MS): Promise<{ id: string; session: ConsoleSession }> {
  const org = await getOrganisation(db, organisationIdentification);
  checkEnabled(org);
  const id = random();
  const expiresAt = new Date(Date.now() + ttlMs);
  // Expired sessions are removed on the way, so the table does not grow without bound.
  await db.query('DELETE FROM console_session WHERE expires_at < now()');
  await db.query('INSERT INTO console_session (session_hash, organisation_identification, via, expires_at) VALUES ($1, $2, $3, $4)', [
    hash(id), organisationIdentification, via, expiresAt.toISOString(),
  ]);
  return { id, session: { organisationIdentification, admin: org.platformFunctionGroup === 'ADMIN', via, expiresAt } };
}

/** The live session for a cookie value, or undefined (unknown, expired, or its organisation now disabled). */
export async function findSession(db: Queryable, id: string | undefined): Promise<ConsoleSession | undefined> {
  if (!id || id.length > 100) return undefined;
  const r = await db.query<{ organisation_identification: string; via: ConsoleSession['via']; expires_at: Date | string; platform_function_group: string }>(
    `SELECT s.organisation_identification, s.via, s.expires_at, o.platform_function_group
       FROM console_session s JOIN organisation o ON o.identification = s.organisation_identification
      WHERE s.session_hash = $1 AND s.expires_at > now() AND o.enabled`,
    [hash(id)],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  return { organisationIdentification: row.organisation_identification, admin: row.platform_function_group === 'ADMIN', via: row.via, expiresAt: new Date(row.expires_at) };
}

export async function endSession(db: Queryable, id: string | undefined): Promise<void> {
  if (id) await db.query('DELETE FROM console_session WHERE session_hash = $1', [hash(id)]);
}

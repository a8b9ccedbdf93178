/**
 * Console sessions (table console_session, migration 0300): only the SHA-256 hash of a session id is stored
 * (src/console/auth.ts makes and hashes the ids).
 */
import type { Queryable } from './db/db.ts';

export type ConsoleSessionVia = 'TOKEN' | 'SIGN_IN_LINK' | 'CERTIFICATE';

export interface ConsoleSessionRow {
  organisationIdentification: string;
  via: ConsoleSessionVia;
  expiresAt: Date;
  platformFunctionGroup: string;
}

/** Stores a session; expired sessions are removed on the way, so the table does not grow without bound. */
export async function insertConsoleSession(q: Queryable, s: { sessionHash: string; organisationIdentification: string; via: ConsoleSessionVia; expiresAt: Date }): Promise<void> {
  await q.query('DELETE FROM console_session WHERE expires_at < now()');
  await q.query('INSERT INTO console_session (session_hash, organisation_identification, via, expires_at) VALUES ($1, $2, $3, $4)', [
    s.sessionHash, s.organisationIdentification, s.via, s.expiresAt.toISOString(),
  ]);
}

/** The unexpired session with this hash whose organisation is enabled, or undefined. */
export async function findLiveConsoleSession(q: Queryable, sessionHash: string): Promise<ConsoleSessionRow | undefined> {
  const r = await q.query<{ organisation_identification: string; via: ConsoleSessionVia; expires_at: Date | string; platform_function_group: string }>(
    `SELECT s.organisation_identification, s.via, s.expires_at, o.platform_function_group
       FROM console_session s JOIN organisation o ON o.identification = s.organisation_identification
      WHERE s.session_hash = $1 AND s.expires_at > now() AND o.enabled`,
    [sessionHash],
  );
  const x = r.rows[0];
  return x ? { organisationIdentification: x.organisation_identification, via: x.via, expiresAt: new Date(x.expires_at), platformFunctionGroup: x.platform_function_group } : undefined;
}

export async function deleteConsoleSession(q: Queryable, sessionHash: string): Promise<void> {
  await q.query('DELETE FROM console_session WHERE session_hash = $1', [sessionHash]);
}

/** Ends every session of the organisation. */
export async function deleteConsoleSessionsOf(q: Queryable, organisationIdentification: string): Promise<void> {
  await q.query('DELETE FROM console_session WHERE organisation_identification = $1', [organisationIdentification]);
}

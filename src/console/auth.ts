/**
 * Console sessions. A visitor signs in with an API token of its organisation (src/platform/tokens.ts) or a one-time
 * sign-in link; a session id is 32 random bytes, kept only in the visitor's HttpOnly cookie, and only its SHA-256
 * hash is stored, so a copy of the database signs nobody in.
 */
import { randomBytes } from 'node:crypto';
import type { Queryable } from '../platform/db/db.ts';
import { getOrganisation, type Organisation } from '../platform/inventory.ts';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import { revokeApiTokens, tokenHash } from '../platform/tokens.ts';
import { deleteConsoleSession, deleteConsoleSessionsOf, findLiveConsoleSession, insertConsoleSession } from '../platform/console-sessions.ts';

/** Default session lifetime: one working day. */
export const DEFAULT_SESSION_TTL_MS = 8 * 3600_000;

export interface ConsoleSession {
  organisationIdentification: string;
  admin: boolean;
  /** How the session was started: an API token, a one-time sign-in link, or a client certificate. */
  via: 'TOKEN' | 'SIGN_IN_LINK' | 'CERTIFICATE';
  expiresAt: Date;
}

const hash = tokenHash;
const random = () => randomBytes(32).toString('base64url');

/** Revokes every token of the organisation and ends its sessions; returns how many tokens were usable. */
export async function revokeConsoleTokens(db: Queryable, organisationIdentification: string): Promise<number> {
  const n = await revokeApiTokens(db, organisationIdentification);
  await deleteConsoleSessionsOf(db, organisationIdentification);
  return n;
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
  await insertConsoleSession(db, { sessionHash: hash(id), organisationIdentification, via, expiresAt });
  return { id, session: { organisationIdentification, admin: org.platformFunctionGroup === 'ADMIN', via, expiresAt } };
}

/** The live session for a cookie value, or undefined (unknown, expired, or its organisation now disabled). */
export async function findSession(db: Queryable, id: string | undefined): Promise<ConsoleSession | undefined> {
  if (!id || id.length > 100) return undefined;
  const row = await findLiveConsoleSession(db, hash(id));
  if (!row) return undefined;
  return { organisationIdentification: row.organisationIdentification, admin: row.platformFunctionGroup === 'ADMIN', via: row.via, expiresAt: row.expiresAt };
}

export async function endSession(db: Queryable, id: string | undefined): Promise<void> {
  if (id) await deleteConsoleSession(db, hash(id));
}

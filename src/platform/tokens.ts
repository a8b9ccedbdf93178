/**
 * API tokens: the one credential an organisation uses without a client certificate, on SOAP, REST, the admin API
 * and the console alike (`Authorization: Bearer <token>`). A token is 32 random bytes; only its SHA-256 hash is
 * stored, so a copy of the database authenticates nobody. Tokens are shown once, when issued.
 *
 * A sign-in token (purpose SIGN_IN) is a one-time console sign-in link: it signs in once and is then used up; it
 * is never accepted as a bearer token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import type { Queryable } from './db/db.ts';
import { getOrganisation } from './inventory.ts';
import { batcherOf } from './batch.ts';
import { ErrorCode, MeterfabricError } from '../errors.ts';

/** Prefix of API tokens; `mfc_` tokens issued for the console before are accepted too. */
export const TOKEN_PREFIX = 'mft_';
const ACCEPTED_PREFIXES = ['mft_', 'mfc_'];
/** Prefix of one-time sign-in tokens. */
export const SIGN_IN_PREFIX = 'mfs_';
/** How long a sign-in link stays usable when nobody uses it. */
export const SIGN_IN_TTL_MS = 24 * 3600_000;

export const tokenHash = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');
const random = () => randomBytes(32).toString('base64url');

const invalidToken = () => new MeterfabricError(ErrorCode.AUTHENTICATION_ERROR, 'The token is not valid', { component: 'WS_SMART_METERING', retryable: false });

const looksLike = (token: unknown, prefixes: string[]): token is string =>
  typeof token === 'string' && token.length <= 100 && prefixes.some((p) => token.startsWith(p)) && /^[A-Za-z0-9_-]+$/.test(token);

/** Issues an API token for the organisation; the returned value is not stored and cannot be shown again. */
export async function issueApiToken(db: Queryable, organisationIdentification: string, issuedBy = 'cli'): Promise<{ token: string; organisationIdentification: string }> {
  await getOrganisation(db, organisationIdentification);
  const token = TOKEN_PREFIX + random();
  await db.query('INSERT INTO api_token (token_hash, organisation_identification, issued_by) VALUES ($1, $2, $3)', [tokenHash(token), organisationIdentification, issuedBy]);
  return { token, organisationIdentification };
}

/** Issues a one-time console sign-in token (for a sign-in link). */
export async function issueSignInToken(db: Queryable, organisationIdentification: string, issuedBy = 'cli', ttlMs = SIGN_IN_TTL_MS): Promise<string> {
  await getOrganisation(db, organisationIdentification);
  const token = SIGN_IN_PREFIX + random();
  await db.query(
    "INSERT INTO api_token (token_hash, organisation_identification, issued_by, purpose, expires_at) VALUES ($1, $2, $3, 'SIGN_IN', $4)",
    [tokenHash(token), organisationIdentification, issuedBy, new Date(Date.now() + ttlMs).toISOString()],
  );
  return token;
}

/** Revokes every token (API and sign-in) of the organisation; returns how many were usable. */
export async function revokeApiTokens(db: Queryable, organisationIdentification: string): Promise<number> {
  const r = await db.query('UPDATE api_token SET revoked_at = now() WHERE organisation_identification = $1 AND revoked_at IS NULL', [organisationIdentification]);
  return r.rowCount;
}

/** The organisation of a valid, unrevoked API token; AUTHENTICATION_ERROR otherwise. */
export async function organisationOfToken(db: Queryable, token: string): Promise<string> {
  if (!looksLike(token, ACCEPTED_PREFIXES)) throw invalidToken();
  // Checked against the database on every request (no cache: a revoked token stops working at once); the checks of
  // requests arriving together share one statement.
  const org = await batcherOf<string, string | undefined>(db, 'token.api', async (hashes) => {
    const r = await db.query<{ token_hash: string; organisation_identification: string }>(
      "SELECT token_hash, organisation_identification FROM api_token WHERE token_hash = ANY($1::text[]) AND purpose = 'API' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())",
      [[...new Set(hashes)]],
    );
    const byHash = new Map(r.rows.map((row) => [row.token_hash, row.organisation_identification]));
    return hashes.map((h) => byHash.get(h));
  }).submit(tokenHash(token));
  if (!org) throw invalidToken();
  return org;
}

/** Uses up a one-time sign-in token and returns its organisation; AUTHENTICATION_ERROR when it is not (or no longer) valid. */
export async function redeemSignInToken(db: Queryable, token: string): Promise<string> {
  if (!looksLike(token, [SIGN_IN_PREFIX])) throw invalidToken();
  const r = await db.query<{ organisation_identification: string }>(
    `UPDATE api_token SET used_at = now()
      WHERE token_hash = $1 AND purpose = 'SIGN_IN' AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
      RETURNING organisation_identification`,
    [tokenHash(token)],
  );
  if (!r.rows[0]) throw invalidToken();
  return r.rows[0].organisation_identification;
}

/**
 * The token kept in a file (mode 0600) for an organisation, e.g. DATA/admin.token for the built-in ADMIN
 * organisation. Made on first use; several processes starting at once agree on one file (exclusive create by
 * link). When the file exists but this database does not know its token (a new database, or another PostgreSQL
 * database), the file's token is registered; when the database knows it as revoked, a new token replaces the file.
 * Returns the token and whether the file was (re)written.
 */
export async function ensureTokenFile(db: Queryable, path: string, organisationIdentification: string, issuedBy: string): Promise<{ token: string; created: boolean }> {
  const existing = readTokenFile(path);
  if (existing) {
    const known = await db.query<{ organisation_identification: string; revoked: boolean }>(
      "SELECT organisation_identification, revoked_at IS NOT NULL AS revoked FROM api_token WHERE token_hash = $1 AND purpose = 'API'",
      [tokenHash(existing)],
    );
    const row = known.rows[0];
    if (!row) {
      await getOrganisation(db, organisationIdentification);
      await db.query('INSERT INTO api_token (token_hash, organisation_identification, issued_by) VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING', [
        tokenHash(existing), organisationIdentification, issuedBy,
      ]);
      return { token: existing, created: false };
    }
    if (!row.revoked && row.organisation_identification === organisationIdentification) return { token: existing, created: false };
    rmSync(path, { force: true });
  }
  const { token } = await issueApiToken(db, organisationIdentification, issuedBy);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${token}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Another process made it first: use its token, withdraw ours.
    await revokeToken(db, token);
    rmSync(tmp, { force: true });
    return ensureTokenFile(db, path, organisationIdentification, issuedBy);
  }
  rmSync(tmp, { force: true });
  return { token, created: true };
}

async function revokeToken(db: Queryable, token: string): Promise<void> {
  await db.query('UPDATE api_token SET revoked_at = now() WHERE token_hash = $1', [tokenHash(token)]);
}

/** The token in a token file, or undefined when the file is absent or unreadable. */
export function readTokenFile(path: string): string | undefined {
  try {
    const t = readFileSync(path, 'utf8').trim();
    return t || undefined;
  } catch {
    return undefined;
  }
}

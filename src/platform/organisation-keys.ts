/**
 * Organisations' RSA public keys (GXF's application key, docs/gxf.md#getkeys): GetKeys encrypts the keys it returns
 * with the caller's key, so no key leaves the platform in clear. Table organisation_public_key (migration 0800).
 */
import { createPublicKey } from 'node:crypto';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import type { Queryable } from './db/db.ts';
import { getOrganisation } from './inventory.ts';

/** Smallest RSA modulus accepted (NIST SP 800-57 part 1: 2048 bits for use beyond 2030 is 3072; 2048 is the floor). */
export const MIN_RSA_BITS = 2048;

export interface OrganisationPublicKey {
  organisationIdentification: string;
  publicKeyPem: string;
  modulusBits: number;
  updatedAt: Date;
}

/** Checks a PEM (SPKI "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY"): an RSA key of at least MIN_RSA_BITS; returns it as SPKI PEM. */
export function checkRsaPublicKey(pem: string, minBits = MIN_RSA_BITS): { pem: string; bits: number } {
  let key;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'publicKey is not a PEM public key', { component: 'SHARED', retryable: false });
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa') throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `publicKey must be an RSA key, got ${key.asymmetricKeyType}`, { component: 'SHARED', retryable: false });
  if (bits < minBits) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `publicKey has ${bits} bits; at least ${minBits} are needed`, { component: 'SHARED', retryable: false });
  return { pem: key.export({ type: 'spki', format: 'pem' }).toString(), bits };
}

export async function setOrganisationPublicKey(q: Queryable, organisation: string, pem: string, minBits = MIN_RSA_BITS): Promise<OrganisationPublicKey> {
  await getOrganisation(q, organisation);
  const k = checkRsaPublicKey(pem, minBits);
  const r = await q.query<{ organisation_identification: string; public_key_pem: string; modulus_bits: number; updated_at: Date }>(
    `INSERT INTO organisation_public_key (organisation_identification, public_key_pem, modulus_bits) VALUES ($1, $2, $3)
     ON CONFLICT (organisation_identification) DO UPDATE SET public_key_pem = EXCLUDED.public_key_pem, modulus_bits = EXCLUDED.modulus_bits, updated_at = now()
     RETURNING *`,
    [organisation, k.pem, k.bits],
  );
  return fromRow(r.rows[0]!);
}

export async function getOrganisationPublicKey(q: Queryable, organisation: string): Promise<OrganisationPublicKey | undefined> {
  const r = await q.query<{ organisation_identification: string; public_key_pem: string; modulus_bits: number; updated_at: Date }>(
    'SELECT * FROM organisation_public_key WHERE organisation_identification = $1',
    [organisation],
  );
  return r.rows[0] ? fromRow(r.rows[0]) : undefined;
}

export async function removeOrganisationPublicKey(q: Queryable, organisation: string): Promise<boolean> {
  return ((await q.query('DELETE FROM organisation_public_key WHERE organisation_identification = $1', [organisation])).rowCount ?? 0) > 0;
}

function fromRow(r: { organisation_identification: string; public_key_pem: string; modulus_bits: number; updated_at: Date }): OrganisationPublicKey {
  return { organisationIdentification: r.organisation_identification, publicKeyPem: r.public_key_pem, modulusBits: r.modulus_bits, updatedAt: r.updated_at };
}

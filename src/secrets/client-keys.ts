/**
 * The platform's own RSA key pair for keys that GXF clients send (AddDevice, ReplaceKeys; docs/gxf.md#key-transport,
 * docs/gxf.md#adddevice, #replacekeys): clients encrypt each key with RSA/ECB/OAEPPadding as Java's default provider does, i.e. OAEP with
 * SHA-1 and MGF1-SHA-1, and send it as hex. The pair is created on first start; its private key is enveloped
 * under the KEK like any secret (SecretStore.platformKeyPair). GetKeys exports re-encrypt a key the same way to
 * the public key configured for the receiving organisation.
 */
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import type { SecretStore } from './store.ts';

export const CLIENT_KEY_PAIR_NAME = 'gxf-smart-metering';

function err(code: number, message: string): MeterfabricError {
  return new MeterfabricError(code, message, { component: 'SECRET_MANAGEMENT' });
}

export interface ClientKeyPairOptions {
  /** Name of the pair in secret_platform_keypair (default "gxf-smart-metering"). */
  name?: string;
  /** Modulus of a pair created now (default 2048). */
  modulusLength?: number;
}

export class ClientKeyPair {
  readonly #publicPem: string;
  readonly #private: KeyObject;

  private constructor(publicPem: string, privateKey: KeyObject) {
    this.#publicPem = publicPem;
    this.#private = privateKey;
  }

  static async open(store: SecretStore, options: ClientKeyPairOptions = {}): Promise<ClientKeyPair> {
    const pair = await store.platformKeyPair(options.name ?? CLIENT_KEY_PAIR_NAME, () => {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: options.modulusLength ?? 2048 });
      return {
        publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
        privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      };
    });
    return new ClientKeyPair(pair.publicKeyPem, createPrivateKey(pair.privateKeyPem));
  }

  /** SubjectPublicKeyInfo PEM, to hand to GXF clients. */
  publicKeyPem(): string {
    return this.#publicPem;
  }

  /**
   * Decrypts a client-supplied key: hex of RSA-OAEP(SHA-1, MGF1-SHA-1). Errors: 806 KEY_NOT_PRESENT (empty),
   * 807 INVALID_KEY_FORMAT (not hex, or not one RSA block), 804 DECRYPTION_EXCEPTION (does not decrypt).
   */
  decryptClientKey(hex: string): Buffer {
    if (typeof hex !== 'string' || hex.trim() === '') throw err(ErrorCode.KEY_NOT_PRESENT, 'no encrypted key given');
    const t = hex.trim();
    if (t.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(t)) throw err(ErrorCode.INVALID_KEY_FORMAT, 'encrypted key is not an even number of hex digits');
    const bytes = Buffer.from(t, 'hex');
    const modulusBytes = Math.ceil((this.#private.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    if (bytes.length !== modulusBytes) {
      throw err(ErrorCode.INVALID_KEY_FORMAT, `encrypted key has ${bytes.length} bytes; RSA-OAEP under this key gives ${modulusBytes}`);
    }
    try {
      return privateDecrypt({ key: this.#private, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, bytes);
    } catch {
      throw err(ErrorCode.DECRYPTION_EXCEPTION, 'encrypted key does not decrypt with the platform key pair');
    }
  }

  /** Encrypts to this pair's own public key (what a GXF client does; tests and tools). */
  encryptForPlatform(key: Buffer): string {
    return encryptKeyForOrganisation(key, this.#publicPem);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'ClientKeyPair';
  }
}

/**
 * GetKeys export: RSA-OAEP (SHA-1, MGF1-SHA-1) of the key to the organisation's public key (PEM, SPKI or
 * PKCS#1), as hex. Errors: 807 for an unusable public key, 803 when encryption fails.
 */
export function encryptKeyForOrganisation(key: Buffer, publicKeyPem: string): string {
  let pub: KeyObject;
  try {
    pub = createPublicKey(publicKeyPem);
  } catch {
    throw err(ErrorCode.INVALID_KEY_FORMAT, 'the organisation public key is not a PEM public key');
  }
  if (pub.asymmetricKeyType !== 'rsa') throw err(ErrorCode.INVALID_KEY_FORMAT, 'the organisation public key is not an RSA key');
  try {
    return publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, key).toString('hex');
  } catch {
    throw err(ErrorCode.ENCRYPTION_EXCEPTION, 'key does not fit one RSA-OAEP block of the organisation public key');
  }
}

/**
 * PKCS#11 KEK provider (pkcs11js, an optional dependency loaded on first use). The KEK is a token object: an
 * AES-256 key generated inside the token as sensitive and non-extractable, so it never leaves the token. Data keys
 * are wrapped by C_Encrypt / C_Decrypt with CKM_AES_GCM inside the token (docs/gxf.md#where-meterfabric-differs item 7: no
 * deterministic zero-IV CBC), in the same nonce ‖ ciphertext ‖ tag format as the software provider. The token's
 * RNG (C_GenerateRandom) generates meter keys.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import type { KekProvider } from './kek.ts';
import { NONCE_BYTES, TAG_BYTES } from './envelope.ts';

export interface Pkcs11KekOptions {
  /** Path of the PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so). */
  library: string;
  /** Token label. */
  token: string;
  /** User PIN. */
  pin: string;
  /** Label of the KEK object in the token. */
  keyLabel: string;
  /** Generate the KEK inside the token when no object has this label (default true). */
  generate?: boolean;
}

type Pkcs11Module = typeof import('pkcs11js');
type Pkcs11 = InstanceType<Pkcs11Module['PKCS11']>;

// One loaded module per library path: C_Initialize may run only once per process (CKR_CRYPTOKI_ALREADY_INITIALIZED).
const loaded = new Map<string, { p11: Pkcs11; refs: number }>();

function fail(code: number, message: string, cause?: unknown): MeterfabricError {
  // pkcs11js errors name the CKR_ code only; they carry no key material.
  return new MeterfabricError(code, message, { component: 'SECRET_MANAGEMENT', cause });
}

async function loadModule(): Promise<Pkcs11Module> {
  try {
    const m = (await import('pkcs11js')) as unknown as Pkcs11Module & { default?: Pkcs11Module };
    return (m.default ?? m) as Pkcs11Module;
  } catch (e) {
    throw fail(ErrorCode.KEK_UNAVAILABLE, 'the PKCS#11 provider needs the optional dependency pkcs11js', e);
  }
}

export class Pkcs11KekProvider implements KekProvider {
  readonly kind = 'pkcs11' as const;
  readonly reference: string;
  #m: Pkcs11Module;
  #p11: Pkcs11;
  #library: string;
  #session: Buffer;
  #key: Buffer;
  #closed = false;

  private constructor(m: Pkcs11Module, p11: Pkcs11, library: string, session: Buffer, key: Buffer, reference: string) {
    this.#m = m;
    this.#p11 = p11;
    this.#library = library;
    this.#session = session;
    this.#key = key;
    this.reference = reference;
  }

  static async open(options: Pkcs11KekOptions): Promise<Pkcs11KekProvider> {
    const m = await loadModule();
    let entry = loaded.get(options.library);
    if (!entry) {
      const p11 = new m.PKCS11();
      try {
        p11.load(options.library);
        p11.C_Initialize();
      } catch (e) {
        throw fail(ErrorCode.KEK_UNAVAILABLE, `cannot load the PKCS#11 module ${options.library}`, e);
      }
      entry = { p11, refs: 0 };
      loaded.set(options.library, entry);
    }
    const p11 = entry.p11;
    entry.refs++;
    let session: Buffer | undefined;
    try {
      const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === options.token);
      if (!slot) throw fail(ErrorCode.KEK_UNAVAILABLE, `no PKCS#11 token labelled ${JSON.stringify(options.token)}`);
      session = p11.C_OpenSession(slot, m.CKF_SERIAL_SESSION | m.CKF_RW_SESSION);
      try {
        p11.C_Login(session, m.CKU_USER, options.pin);
      } catch (e) {
        // Another session of this process may have logged in already: login state is per token and application.
        if (!String((e as Error).message).includes('CKR_USER_ALREADY_LOGGED_IN')) {
          throw fail(ErrorCode.KEK_UNAVAILABLE, 'PKCS#11 login failed', e);
        }
      }
      let key = Pkcs11KekProvider.#find(m, p11, session, options.keyLabel);
      if (!key) {
        if (options.generate === false) throw fail(ErrorCode.KEK_UNAVAILABLE, `no KEK labelled ${JSON.stringify(options.keyLabel)} in the token`);
        key = p11.C_GenerateKey(session, { mechanism: m.CKM_AES_KEY_GEN }, [
          { type: m.CKA_CLASS, value: m.CKO_SECRET_KEY },
          { type: m.CKA_KEY_TYPE, value: m.CKK_AES },
          { type: m.CKA_VALUE_LEN, value: 32 },
          { type: m.CKA_TOKEN, value: true },
          { type: m.CKA_PRIVATE, value: true },
          { type: m.CKA_LABEL, value: options.keyLabel },
          { type: m.CKA_SENSITIVE, value: true },
          { type: m.CKA_EXTRACTABLE, value: false },
          { type: m.CKA_ENCRYPT, value: true },
          { type: m.CKA_DECRYPT, value: true },
          { type: m.CKA_WRAP, value: false },
          { type: m.CKA_UNWRAP, value: false },
        ]);
      }
      const reference = `pkcs11:token=${options.token};object=${options.keyLabel}`;
      return new Pkcs11KekProvider(m, p11, options.library, session, key, reference);
    } catch (e) {
      if (session) {
        try {
          p11.C_CloseSession(session);
        } catch {
          /* closing a half-open session */
        }
      }
      Pkcs11KekProvider.#release(options.library);
      throw e instanceof MeterfabricError ? e : fail(ErrorCode.KEK_UNAVAILABLE, 'PKCS#11 token is not usable', e);
    }
  }

  static #find(m: Pkcs11Module, p11: Pkcs11, session: Buffer, label: string): Buffer | undefined {
    p11.C_FindObjectsInit(session, [
      { type: m.CKA_CLASS, value: m.CKO_SECRET_KEY },
      { type: m.CKA_LABEL, value: label },
    ]);
    try {
      const found = p11.C_FindObjects(session, 2);
      if (found.length > 1) throw fail(ErrorCode.KEK_UNAVAILABLE, `more than one KEK labelled ${JSON.stringify(label)} in the token`);
      return found[0];
    } finally {
      p11.C_FindObjectsFinal(session);
    }
  }

  static #release(library: string): void {
    const entry = loaded.get(library);
    if (!entry) return;
    entry.refs--;
    if (entry.refs <= 0) {
      loaded.delete(library);
      try {
        entry.p11.C_Finalize();
      } catch {
        /* already finalised */
      }
    }
  }

  /** Whether the KEK object refuses to be read out (CKA_SENSITIVE true, CKA_EXTRACTABLE false). */
  keyIsProtected(): boolean {
    const [sensitive, extractable] = this.#p11.C_GetAttributeValue(this.#session, this.#key, [
      { type: this.#m.CKA_SENSITIVE },
      { type: this.#m.CKA_EXTRACTABLE },
    ]);
    return (sensitive.value as Buffer)[0] === 1 && (extractable.value as Buffer)[0] === 0;
  }

  #gcm(iv: Buffer, aad: Buffer) {
    return {
      mechanism: this.#m.CKM_AES_GCM,
      parameter: { type: this.#m.CK_PARAMS_AES_GCM, iv, aad, ivBits: NONCE_BYTES * 8, tagBits: TAG_BYTES * 8 },
    };
  }

  #check(): void {
    if (this.#closed) throw fail(ErrorCode.KEK_UNAVAILABLE, 'the PKCS#11 KEK provider is closed');
  }

  async wrap(dataKey: Buffer, aad: Buffer): Promise<Buffer> {
    this.#check();
    // The nonce comes from node's CSPRNG: the token may run concurrently for other sessions, a random nonce
    // per wrap needs no shared counter.
    const iv = randomBytes(NONCE_BYTES);
    try {
      this.#p11.C_EncryptInit(this.#session, this.#gcm(iv, aad), this.#key);
      const out = this.#p11.C_Encrypt(this.#session, dataKey, Buffer.alloc(dataKey.length + TAG_BYTES + 16));
      return Buffer.concat([iv, out]);
    } catch (e) {
      throw fail(ErrorCode.ENCRYPTION_EXCEPTION, 'PKCS#11 wrap failed', e);
    }
  }

  async unwrap(wrapped: Buffer, aad: Buffer): Promise<Buffer> {
    this.#check();
    if (wrapped.length < NONCE_BYTES + TAG_BYTES) throw fail(ErrorCode.DECRYPTION_EXCEPTION, 'wrapped key is malformed');
    try {
      this.#p11.C_DecryptInit(this.#session, this.#gcm(Buffer.from(wrapped.subarray(0, NONCE_BYTES)), aad), this.#key);
      return Buffer.from(this.#p11.C_Decrypt(this.#session, Buffer.from(wrapped.subarray(NONCE_BYTES)), Buffer.alloc(wrapped.length)));
    } catch {
      throw fail(ErrorCode.DECRYPTION_EXCEPTION, 'secret does not authenticate under the PKCS#11 KEK');
    }
  }

  async randomBytes(length: number): Promise<Buffer> {
    this.#check();
    try {
      return Buffer.from(this.#p11.C_GenerateRandom(this.#session, Buffer.alloc(length)));
    } catch (e) {
      throw fail(ErrorCode.KEK_UNAVAILABLE, 'PKCS#11 random generation failed', e);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#p11.C_CloseSession(this.#session);
    } catch {
      /* token gone */
    }
    Pkcs11KekProvider.#release(this.#library);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Pkcs11KekProvider(${this.reference})`;
  }

  toJSON(): Record<string, string> {
    return { kind: this.kind, reference: this.reference };
  }
}

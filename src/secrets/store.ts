/**
 * The secret store: meter keys encrypted at rest (./envelope.ts) under a KEK provider (./kek.ts), with GXF's
 * lifecycle NEW -> ACTIVE -> EXPIRED and NEW -> WITHDRAWN (docs/gxf.md#key-lifecycle) and the guarantees that GXF lacks
 * (docs/gxf.md#where-meterfabric-differs items 2, 3): a pending NEW key is reused on retry, and a NEW key that may be on the device (markSent)
 * is never withdrawn or replaced until the device's state is known.
 *
 * Concurrency: every mutation of one (device, type) runs in one transaction holding a transaction-scoped advisory
 * lock on that pair, so concurrent generate/activate calls on one device serialise; the partial unique indexes
 * (one NEW, one ACTIVE) hold the invariant in the database even for writers that bypass this class.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Db, Queryable } from '../platform/db/db.ts';
import { Batcher } from '../platform/batch.ts';
import { ErrorCode, isMeterfabricError, MeterfabricError } from '../errors.ts';
import { seal, unseal, rewrap, type Sealed } from './envelope.ts';
import type { KekProvider } from './kek.ts';
import { parseKeyShipment, type KeyShipmentFormat, type KeyShipmentRow } from './import.ts';
import {
  checkContext,
  checkDeviceId,
  checkKeyMaterial,
  checkSecretType,
  isPasswordType,
  type SecretContext,
  type SecretStatus,
  type SecretType,
} from './types.ts';

export interface SecretKey {
  secretId: number;
  key: Buffer;
}

export interface PendingKey extends SecretKey {
  /** true when an existing NEW key was returned; false when this call generated and stored it. */
  reused: boolean;
}

export type SecretOrigin = 'GENERATED' | 'HSM_RANDOM' | 'STORED' | 'IMPORTED';

/** Everything about a secret except its bytes. */
export interface SecretMetadata {
  secretId: number;
  deviceId: string;
  type: SecretType;
  status: SecretStatus;
  origin: SecretOrigin;
  /** true once markSent recorded that the key may be on the device. */
  sent: boolean;
  createdAt: Date;
  sentAt?: Date;
  activatedAt?: Date;
  expiredAt?: Date;
  withdrawnAt?: Date;
  kekReference: string;
}

export interface AuditRow {
  id: number;
  at: Date;
  deviceId: string | null;
  type: SecretType | null;
  secretId: number | null;
  action: string;
  fromStatus: SecretStatus | null;
  toStatus: SecretStatus | null;
  actor: string;
  reason: string;
}

export interface WithdrawContext extends SecretContext {
  /**
   * Required to withdraw a key that was marked sent: the caller has established (e.g. by reading the M-Bus
   * client's key status, or by an association with the old key succeeding) that the device does not hold it.
   */
  confirmedNotOnDevice?: boolean;
}

export interface ImportOptions {
  format: KeyShipmentFormat;
  ctx: SecretContext;
  /** Decrypts `encrypted_key` columns (RSA-OAEP to the platform's client key pair, ./client-keys.ts). */
  decryptKey?: (hex: string) => Buffer;
  /** Rows per transaction (default 500). */
  batchSize?: number;
}

export interface ImportResult {
  imported: number;
  skipped: number;
  rows: { line: number; deviceId: string; type: SecretType; secretId: number; status: SecretStatus; skipped: boolean }[];
}

export interface RotationResult {
  rewrapped: number;
  retired: string[];
}

export interface OpenOptions {
  /** Providers of earlier KEKs still needed (an interrupted rotation); the store only reads with them. */
  previous?: KekProvider[];
  /**
   * Keep sealed rows (never plaintext) of getActive/getNew in memory, invalidated by this store's own writes.
   * Only correct when this store is the database's only writer, hence the default: on for PGlite (one process
   * owns an embedded database), off for PostgreSQL (other processes may write).
   */
  cache?: boolean;
  /** Entries kept by the read cache (default 100,000). */
  cacheSize?: number;
}

interface SecretRow {
  id: number;
  device_identification: string;
  secret_type: SecretType;
  status: SecretStatus;
  origin: SecretOrigin;
  ciphertext: Uint8Array;
  nonce: Uint8Array;
  wrapped_key: Uint8Array;
  kek_id: number;
  sent_at: Date | null;
}

const SEALED_COLUMNS = 'id, device_identification, secret_type, status, origin, ciphertext, nonce, wrapped_key, kek_id, sent_at';

/** One key read of a batch (getActive/getNew of concurrent callers, one statement). */
interface ReadKey {
  deviceId: string;
  type: SecretType;
  status: SecretStatus;
}

/** One lifecycle write of a batch: an item of `secret_write` (migration 0500). */
interface WriteItem {
  op: 'pending' | 'sent' | 'activate';
  d: string;
  t: SecretType;
  id: number;
  actor: string;
  reason: string;
  origin?: SecretOrigin;
  action?: string;
  kek?: number;
  ct?: string;
  nonce?: string;
  wk?: string;
}

/** What `secret_write` answers for one item. */
interface WriteOutcome {
  outcome: 'ok' | 'reused' | 'state' | 'absent' | 'fenced';
  status?: SecretStatus;
  id?: number;
  kek?: number;
  ct?: string;
  nonce?: string;
  wk?: string;
}

const readKey = (deviceId: string, type: string, status: string) => `${status}\u0000${type}\u0000${deviceId}`;
const SCOPE = 'secret';
const LOCK_SALT = 7431100;

function buf(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function stateError(message: string, details?: Record<string, unknown>): MeterfabricError {
  return new MeterfabricError(ErrorCode.SECRET_STATE, message, { component: 'SECRET_MANAGEMENT', details });
}

function notPresent(message: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.KEY_NOT_PRESENT, message, { component: 'SECRET_MANAGEMENT' });
}

/** PostgreSQL errors that a repeat of the whole transaction resolves. */
function isRetryableDbError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === '40001' || code === '40P01' || code === '23505';
}

/** Secret ids drawn from the sequence beyond those needed now, for the next keys sealed by this process. */
const ID_PREFETCH = 32;

/** Passwords are generated as 16 characters from this alphabet (LLS/PPP passwords travel as text). */
const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

export class SecretStore {
  readonly #db: Db;
  #current: KekProvider;
  #currentKekId: number;
  /** Settles once this process's KEK rotation has switched to the new KEK in memory (writers fenced out wait for it). */
  #kekSwitch: Promise<unknown> | undefined;
  readonly #providers = new Map<number, KekProvider>();
  readonly #references = new Map<number, string>();
  /** Sealed rows by device/type/status; null caches "none". Undefined when caching is off. */
  #cache: Map<string, SecretRow | null> | undefined;
  #cacheSize = 100_000;
  /** Bumped by every write; a read fills the cache only if no write happened while it was in flight. */
  #epoch = 0;
  /** Key reads of concurrent callers, one statement per batch. */
  readonly #reads: Batcher<ReadKey, SecretRow | undefined>;
  /** Lifecycle writes of concurrent callers (pending, sent, activate), one statement and one commit per batch. */
  readonly #writes: Batcher<WriteItem, WriteOutcome>;
  /** Secret ids (the version bound into a key's associated data) for keys about to be sealed. */
  readonly #ids: Batcher<null, number>;
  /**
   * Ids drawn from the sequence ahead of need (ID_PREFETCH with each draw), so most keys are sealed without a
   * statement of their own; ids are unique whoever draws them, and an id never used only leaves a gap.
   */
  readonly #idPool: number[] = [];

  private constructor(db: Db, current: KekProvider, currentKekId: number) {
    this.#db = db;
    this.#current = current;
    this.#currentKekId = currentKekId;
    this.#reads = new Batcher((keys) => this.#readBatch(keys), { maxInFlight: 2 });
    this.#writes = new Batcher((items) => this.#writeBatch(items));
    this.#ids = new Batcher(async (n) => {
      const r = await this.#db.query<{ id: number }>(`SELECT nextval('secret_id_seq')::bigint AS id FROM generate_series(1, $1::int)`, [n.length + ID_PREFETCH], {
        prepareAs: 'secret_next_ids',
      });
      const ids = r.rows.map((x) => Number(x.id));
      this.#idPool.push(...ids.slice(n.length));
      return ids.slice(0, n.length);
    }, { maxInFlight: 2 });
  }

  /**
   * Opens the store on a migrated database. The first open registers the provider's KEK as CURRENT. Later opens
   * must present the CURRENT KEK (and, after an interrupted rotation, the RETIRING ones in `previous`); a store
   * that could not read some of its secrets refuses to open rather than failing later on a read.
   */
  static async open(db: Db, provider: KekProvider, options: OpenOptions = {}): Promise<SecretStore> {
    const kekId = await db.tx(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_SALT]);
      const current = (await q.query<{ id: number; reference: string }>(`SELECT id, reference FROM secret_kek WHERE status = 'CURRENT'`)).rows[0];
      if (!current) {
        const existing = (await q.query<{ id: number }>('SELECT id FROM secret_kek WHERE reference = $1', [provider.reference])).rows[0];
        if (existing) {
          await q.query(`UPDATE secret_kek SET status = 'CURRENT', retired_at = NULL WHERE id = $1`, [existing.id]);
          return existing.id;
        }
        const r = await q.query<{ id: number }>(`INSERT INTO secret_kek (provider, reference, status) VALUES ($1, $2, 'CURRENT') RETURNING id`, [
          provider.kind,
          provider.reference,
        ]);
        return r.rows[0].id;
      }
      if (current.reference !== provider.reference) {
        throw new MeterfabricError(
          ErrorCode.KEK_UNAVAILABLE,
          `the secret store's current KEK is ${current.reference}, the provider given is ${provider.reference}; open with the current KEK and call rotateKek to change it`,
          { component: 'SECRET_MANAGEMENT' },
        );
      }
      return current.id;
    });
    const store = new SecretStore(db, provider, kekId);
    if (options.cache ?? db.engine === 'pglite') store.#cache = new Map();
    if (options.cacheSize !== undefined) store.#cacheSize = Math.max(1, options.cacheSize);
    store.#providers.set(kekId, provider);
    store.#references.set(kekId, provider.reference);
    const keks = (await db.query<{ id: number; reference: string; status: string }>('SELECT id, reference, status FROM secret_kek')).rows;
    for (const k of keks) {
      store.#references.set(k.id, k.reference);
      const p = options.previous?.find((x) => x.reference === k.reference);
      if (p && k.id !== kekId) store.#providers.set(k.id, p);
    }
    const missing = keks.filter((k) => k.status === 'RETIRING' && !store.#providers.has(k.id)).map((k) => k.reference);
    if (missing.length) {
      throw new MeterfabricError(
        ErrorCode.KEK_UNAVAILABLE,
        `secrets are still wrapped under ${missing.join(', ')} (interrupted KEK rotation); open with those in options.previous and call rotateKek again`,
        { component: 'SECRET_MANAGEMENT' },
      );
    }
    return store;
  }

  /** Reference of the KEK that wraps new data keys. */
  get kekReference(): string {
    return this.#current.reference;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Generates a key (the HSM's RNG when the provider has one, else node's CSPRNG) and stores it NEW. */
  async generateNew(deviceId: string, type: SecretType, ctx: SecretContext): Promise<{ secretId: number }> {
    checkDeviceId(deviceId);
    checkSecretType(type);
    checkContext(ctx);
    const { key, origin } = await this.#generateKey(type);
    try {
      return await this.#withLock(deviceId, type, async (q) => ({ secretId: await this.#replaceNew(q, deviceId, type, key, origin, ctx) }));
    } finally {
      key.fill(0);
    }
  }

  /** Stores a given key as NEW (an unsent earlier NEW is withdrawn first, as GXF's storeSecrets does). */
  async storeNew(deviceId: string, type: SecretType, key: Buffer, ctx: SecretContext): Promise<{ secretId: number }> {
    checkDeviceId(deviceId);
    checkSecretType(type);
    checkContext(ctx);
    const k = checkKeyMaterial(type, key);
    try {
      return await this.#withLock(deviceId, type, async (q) => ({ secretId: await this.#replaceNew(q, deviceId, type, k, 'STORED', ctx) }));
    } finally {
      k.fill(0);
    }
  }

  /**
   * Stores a given key and activates it in one transaction (keys that arrive with AddDevice, docs/gxf.md#adddevice).
   * Refused while a NEW key that may be on the device exists.
   */
  async storeActive(deviceId: string, type: SecretType, key: Buffer, ctx: SecretContext): Promise<{ secretId: number }> {
    checkDeviceId(deviceId);
    checkSecretType(type);
    checkContext(ctx);
    const k = checkKeyMaterial(type, key);
    try {
      return await this.#withLock(deviceId, type, async (q) => {
        const secretId = await this.#replaceNew(q, deviceId, type, k, 'STORED', ctx);
        await this.#activateLocked(q, deviceId, type, secretId, ctx);
        return { secretId };
      });
    } finally {
      k.fill(0);
    }
  }

  /**
   * THE contract of the M-Bus key operations (docs/gxf.md#where-meterfabric-differs item 3): an existing NEW key is returned
   * (reused: true), so a retried operation sends the same key again; only when there is none is a key generated
   * and stored NEW, committed before this returns and hence before any use.
   */
  async getOrGeneratePending(deviceId: string, type: SecretType, ctx: SecretContext): Promise<PendingKey> {
    checkDeviceId(deviceId);
    checkSecretType(type);
    checkContext(ctx);
    // One statement (migration 0500: lock, read the NEW key, else insert this one), written together with the
    // writes of concurrent callers. The key is generated and sealed beforehand under a fresh id; when a NEW key
    // exists it is returned instead (reused) and the fresh one is dropped, its id left unused.
    for (let attempt = 1; ; attempt++) {
      const { key, origin } = await this.#generateKey(type);
      let kept = false;
      try {
        const kekId = this.#currentKekId;
        const kek = this.#providers.get(kekId)!;
        const id = this.#idPool.shift() ?? (await this.#ids.submit(null));
        const sealed = await seal(kek, key, SCOPE, id, [deviceId, type]);
        const r = await this.#write({
          op: 'pending', d: deviceId, t: type, id, actor: ctx.actor, reason: ctx.reason, origin, action: 'GENERATE', kek: kekId,
          ct: sealed.ciphertext.toString('hex'), nonce: sealed.nonce.toString('hex'), wk: sealed.wrappedKey.toString('hex'),
        });
        if (r.outcome === 'ok') {
          kept = true;
          return { secretId: id, key, reused: false };
        }
        if (r.outcome === 'reused') {
          const row: SecretRow = {
            id: Number(r.id), device_identification: deviceId, secret_type: type, status: 'NEW', origin: 'GENERATED',
            ciphertext: Buffer.from(r.ct!, 'hex'), nonce: Buffer.from(r.nonce!, 'hex'), wrapped_key: Buffer.from(r.wk!, 'hex'), kek_id: Number(r.kek), sent_at: null,
          };
          return { secretId: row.id, key: await this.#open(row), reused: true };
        }
        // fenced: the KEK was rotated meanwhile. This process's own rotation: wait for its switch and seal again.
        if (this.#kekSwitch) await this.#kekSwitch;
        if (attempt >= 5 || kekId === this.#currentKekId) {
          throw new MeterfabricError(ErrorCode.KEK_UNAVAILABLE, `KEK ${kek.reference} is no longer current (rotated by another process?)`, { component: 'SECRET_MANAGEMENT' });
        }
      } finally {
        if (!kept) key.fill(0);
      }
    }
  }

  async getActive(deviceId: string, type: SecretType): Promise<SecretKey | undefined> {
    return this.#getByStatus(deviceId, type, 'ACTIVE');
  }

  async getNew(deviceId: string, type: SecretType): Promise<SecretKey | undefined> {
    return this.#getByStatus(deviceId, type, 'NEW');
  }

  /** Any version by id, whatever its status (recovery: trying an earlier key against a device). */
  async getById(deviceId: string, type: SecretType, secretId: number): Promise<SecretKey & { status: SecretStatus }> {
    checkDeviceId(deviceId);
    checkSecretType(type);
    const r = await this.#db.query<SecretRow>(
      `SELECT ${SEALED_COLUMNS} FROM secret WHERE id = $1 AND device_identification = $2 AND secret_type = $3`,
      [secretId, deviceId, type],
    );
    const row = r.rows[0];
    if (!row) throw notPresent(`no ${type} with id ${secretId} for device ${deviceId}`);
    return { secretId: row.id, key: await this.#open(row), status: row.status };
  }

  /**
   * NEW -> ACTIVE, and the previous ACTIVE -> EXPIRED, in one transaction. Idempotent when secretId is already
   * ACTIVE; an error when secretId is not the current NEW key (withdrawn, expired, or another version).
   */
  async activate(deviceId: string, type: SecretType, secretId: number, ctx: SecretContext): Promise<void> {
    checkDeviceId(deviceId);
    checkSecretType(type);
    checkContext(ctx);
    this.#checkId(deviceId, type, secretId);
    // One statement (migration 0500, the steps of #activateLocked), committed together with concurrent callers' writes.
    const r = await this.#write({ op: 'activate', d: deviceId, t: type, id: secretId, actor: ctx.actor, reason: ctx.reason });
    if (r.outcome === 'absent') throw notPresent(`no ${type} with id ${secretId} for device ${deviceId}`);
    if (r.outcome === 'state') throw stateError(`${type} ${secretId} of ${deviceId} is ${r.status}; only the NEW key can be activated`, { status: r.status });
  }

  /**
   * NEW -> WITHDRAWN. Idempotent on an already withdrawn key. A key marked sent is withdrawn only with
   * ctx.confirmedNotOnDevice (docs/gxf.md#where-meterfabric-differs item 2). ACTIVE and EXPIRED keys are never withdrawn: the
   * device holds (or held) them, and losing them could strand the device.
   */
  async withdraw(deviceId: string, type: SecretType, secretId: number, ctx: WithdrawContext): Promise<void> {
    checkDeviceId(deviceId);
    checkSecretType(type);
    checkContext(ctx);
    await this.#withLock(deviceId, type, async (q) => {
      const row = await this.#selectById(q, deviceId, type, secretId);
      if (row.status === 'WITHDRAWN') return;
      if (row.status !== 'NEW') throw stateError(`${type} ${secretId} of ${deviceId} is ${row.status}; only a NEW key can be withdrawn`, { status: row.status });
      if (row.sent_at && ctx.confirmedNotOnDevice !== true) {
        throw stateError(`${type} ${secretId} of ${deviceId} may be on the device (sent); withdraw it only once the device is known not to hold it`, {
          status: row.status,
          sent: true,
        });
      }
      await q.query(`UPDATE secret SET status = 'WITHDRAWN', withdrawn_at = now(), withdrawn_confirmed = $2 WHERE id = $1`, [
        secretId,
        ctx.confirmedNotOnDevice === true,
      ]);
      await this.#audit(q, deviceId, type, secretId, 'WITHDRAW', 'NEW', 'WITHDRAWN', ctx);
    });
  }

  /**
   * Records that this NEW key may now be on the device (about to be, or already, transferred). From then on the
   * key is never withdrawn or replaced by another NEW key until the device's state is known. Idempotent; a no-op
   * on an ACTIVE key.
   */
  async markSent(deviceId: string, type: SecretType, secretId: number, ctx: SecretContext): Promise<void> {
    checkDeviceId(deviceId);
    checkSecretType(type);
    checkContext(ctx);
    this.#checkId(deviceId, type, secretId);
    // One statement (migration 0500), committed together with concurrent callers' writes and before this returns.
    const r = await this.#write({ op: 'sent', d: deviceId, t: type, id: secretId, actor: ctx.actor, reason: ctx.reason });
    if (r.outcome === 'absent') throw notPresent(`no ${type} with id ${secretId} for device ${deviceId}`);
    if (r.outcome === 'state') throw stateError(`${type} ${secretId} of ${deviceId} is ${r.status}; only a NEW key can be sent`, { status: r.status });
  }

  /** Metadata of every version for the device, oldest first. Never key bytes. */
  async list(deviceId: string): Promise<SecretMetadata[]> {
    checkDeviceId(deviceId);
    const r = await this.#db.query<{
      id: number;
      device_identification: string;
      secret_type: SecretType;
      status: SecretStatus;
      origin: SecretOrigin;
      created_at: Date;
      sent_at: Date | null;
      activated_at: Date | null;
      expired_at: Date | null;
      withdrawn_at: Date | null;
      reference: string;
    }>(
      `SELECT s.id, s.device_identification, s.secret_type, s.status, s.origin, s.created_at, s.sent_at, s.activated_at,
              s.expired_at, s.withdrawn_at, k.reference
         FROM secret s JOIN secret_kek k ON k.id = s.kek_id
        WHERE s.device_identification = $1 ORDER BY s.secret_type, s.id`,
      [deviceId],
    );
    return r.rows.map((x) => {
      const m: SecretMetadata = {
        secretId: x.id,
        deviceId: x.device_identification,
        type: x.secret_type,
        status: x.status,
        origin: x.origin,
        sent: x.sent_at !== null,
        createdAt: x.created_at,
        kekReference: x.reference,
      };
      if (x.sent_at) m.sentAt = x.sent_at;
      if (x.activated_at) m.activatedAt = x.activated_at;
      if (x.expired_at) m.expiredAt = x.expired_at;
      if (x.withdrawn_at) m.withdrawnAt = x.withdrawn_at;
      return m;
    });
  }

  /** Audit rows, oldest first; for one device when given (KEK rotations have no device). */
  async audit(deviceId?: string, options: { limit?: number } = {}): Promise<AuditRow[]> {
    const limit = options.limit ?? 10_000;
    const r = await this.#db.query<{
      id: number;
      at: Date;
      device_identification: string | null;
      secret_type: SecretType | null;
      secret_id: number | null;
      action: string;
      from_status: SecretStatus | null;
      to_status: SecretStatus | null;
      actor: string;
      reason: string;
    }>(
      deviceId === undefined
        ? 'SELECT * FROM secret_audit ORDER BY id LIMIT $1'
        : 'SELECT * FROM secret_audit WHERE device_identification = $2 ORDER BY id LIMIT $1',
      deviceId === undefined ? [limit] : [limit, deviceId],
    );
    return r.rows.map((x) => ({
      id: x.id,
      at: x.at,
      deviceId: x.device_identification,
      type: x.secret_type,
      secretId: x.secret_id,
      action: x.action,
      fromStatus: x.from_status,
      toStatus: x.to_status,
      actor: x.actor,
      reason: x.reason,
    }));
  }

  // ---------------------------------------------------------------- import

  /**
   * Bulk import of a manufacturer key shipment (format: README "Key shipments"). Every row is parsed and checked
   * before anything is written; rows are then applied in transactions of `batchSize`. Importing the same
   * shipment again skips rows whose key is already the ACTIVE (or NEW) one, so a failed import can be re-run.
   */
  async importKeys(text: string, options: ImportOptions): Promise<ImportResult> {
    const ctx = checkContext(options.ctx);
    const rows = parseKeyShipment(text, options.format, options.decryptKey);
    const result: ImportResult = { imported: 0, skipped: 0, rows: [] };
    const batchSize = Math.max(1, options.batchSize ?? 500);
    this.#invalidate();
    try {
      for (let i = 0; i < rows.length; i += batchSize) {
        const batch = rows.slice(i, i + batchSize);
        const done = await this.#retry(() =>
          this.#db.tx(async (q) => {
            const out: ImportResult['rows'] = [];
            for (const row of batch) out.push(await this.#importRow(q, row, ctx));
            return out;
          }),
        );
        for (const d of done) {
          result.rows.push(d);
          if (d.skipped) result.skipped++;
          else result.imported++;
        }
      }
    } finally {
      this.#invalidate();
      for (const r of rows) r.key.fill(0);
    }
    return result;
  }

  async #importRow(q: Queryable, row: KeyShipmentRow, ctx: SecretContext): Promise<ImportResult['rows'][number]> {
    const { deviceId, type, key, status, line } = row;
    await this.#lock(q, deviceId, type);
    const rowCtx = { actor: ctx.actor, reason: `${ctx.reason} (shipment line ${line})` };
    const base = { line, deviceId, type, status };
    const active = await this.#selectByStatus(q, deviceId, type, 'ACTIVE');
    if (active && (await this.#open(active)).equals(key)) return { ...base, secretId: active.id, status: 'ACTIVE', skipped: true };
    const pending = await this.#selectByStatus(q, deviceId, type, 'NEW');
    if (pending && (await this.#open(pending)).equals(key)) {
      if (status === 'ACTIVE') {
        await this.#activateLocked(q, deviceId, type, pending.id, rowCtx);
        return { ...base, secretId: pending.id, skipped: false };
      }
      return { ...base, secretId: pending.id, skipped: true };
    }
    const secretId = await this.#replaceNew(q, deviceId, type, key, 'IMPORTED', rowCtx);
    if (status === 'ACTIVE') await this.#activateLocked(q, deviceId, type, secretId, rowCtx);
    return { ...base, secretId, skipped: false };
  }

  // ---------------------------------------------------------------- KEK rotation

  /**
   * Makes `provider` the current KEK and re-wraps every data key under it, online: batch by batch, each batch
   * in its own short transaction, while readers and writers go on. Readers keep working because every KEK a row
   * may still name stays registered in this store; writers that sealed under the old KEK are refused at insert
   * (the KEK row is no longer CURRENT) and seal again. The old KEK is marked RETIRED once nothing is wrapped under
   * it. Calling it again with the current provider resumes an interrupted rotation. The caller keeps ownership of
   * both providers (close the old one after this resolves, when no read is in flight).
   */
  async rotateKek(provider: KekProvider, ctx: SecretContext, options: { batchSize?: number } = {}): Promise<RotationResult> {
    checkContext(ctx);
    const batchSize = Math.max(1, options.batchSize ?? 500);
    const from = this.#current.reference;
    const switching = this.#db.tx(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_SALT]);
      let row = (await q.query<{ id: number; status: string }>('SELECT id, status FROM secret_kek WHERE reference = $1', [provider.reference])).rows[0];
      // Waits for writers holding the current KEK row FOR SHARE (see #insertNew), then fences later ones out.
      await q.query(`UPDATE secret_kek SET status = 'RETIRING' WHERE status = 'CURRENT' AND reference <> $1`, [provider.reference]);
      if (!row) {
        row = (
          await q.query<{ id: number; status: string }>(`INSERT INTO secret_kek (provider, reference, status) VALUES ($1, $2, 'CURRENT') RETURNING id, status`, [
            provider.kind,
            provider.reference,
          ])
        ).rows[0];
      } else if (row.status !== 'CURRENT') {
        await q.query(`UPDATE secret_kek SET status = 'CURRENT', retired_at = NULL WHERE id = $1`, [row.id]);
      }
      await q.query(
        `INSERT INTO secret_audit (action, actor, reason) VALUES ('KEK_ROTATE', $1, $2)`,
        [ctx.actor, `${ctx.reason} (${from} -> ${provider.reference})`],
      );
      return row.id;
    });
    const switched = switching.then((id) => {
      this.#providers.set(id, provider);
      this.#references.set(id, provider.reference);
      this.#current = provider;
      this.#currentKekId = id;
      return id;
    });
    this.#kekSwitch = switched.catch(() => undefined);
    const newId = await switched;

    let rewrapped = 0;
    for (const table of ['secret', 'secret_platform_keypair'] as const) {
      const idColumn = table === 'secret' ? 'id' : 'name';
      for (;;) {
        const batch = (
          await this.#db.query<{ rid: string; wrapped_key: Uint8Array; kek_id: number; version: string }>(
            table === 'secret'
              ? `SELECT id::text AS rid, wrapped_key, kek_id, id::text AS version FROM secret WHERE kek_id <> $1 ORDER BY id LIMIT $2`
              : `SELECT name AS rid, wrapped_key, kek_id, name AS version FROM secret_platform_keypair WHERE kek_id <> $1 ORDER BY name LIMIT $2`,
            [newId, batchSize],
          )
        ).rows;
        if (batch.length === 0) break;
        const updates: { rid: string; wrapped: Buffer; old: number }[] = [];
        for (const r of batch) {
          const old = this.#providers.get(r.kek_id);
          if (!old) throw this.#kekMissing(r.kek_id);
          updates.push({ rid: r.rid, wrapped: await rewrap(old, provider, buf(r.wrapped_key), table === 'secret' ? SCOPE : 'keypair', r.version), old: r.kek_id });
        }
        await this.#db.tx(async (q) => {
          for (const u of updates) {
            // Conditional on the KEK still being the old one: a row is re-wrapped once, whoever got there first.
            const res = await q.query(`UPDATE ${table} SET wrapped_key = $1, kek_id = $2 WHERE ${idColumn}${table === 'secret' ? ' = $3::bigint' : ' = $3'} AND kek_id = $4`, [
              u.wrapped,
              newId,
              u.rid,
              u.old,
            ]);
            rewrapped += res.rowCount;
          }
        });
      }
    }
    // Cached rows may name the old KEK, which the caller may close once this resolves.
    this.#invalidate();
    const retired = await this.#db.tx(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_SALT]);
      const r = await q.query<{ reference: string }>(
        `UPDATE secret_kek k SET status = 'RETIRED', retired_at = now()
          WHERE status = 'RETIRING'
            AND NOT EXISTS (SELECT 1 FROM secret s WHERE s.kek_id = k.id)
            AND NOT EXISTS (SELECT 1 FROM secret_platform_keypair p WHERE p.kek_id = k.id)
        RETURNING reference`,
      );
      return r.rows.map((x) => x.reference);
    });
    return { rewrapped, retired };
  }

  // ---------------------------------------------------------------- platform key pairs (./client-keys.ts)

  /**
   * Loads the platform key pair `name`, creating it with `create` on first use. The private key is enveloped
   * like a secret; the first creator wins when several processes start at once.
   */
  async platformKeyPair(name: string, create: () => { publicKeyPem: string; privateKeyPem: string }): Promise<{ publicKeyPem: string; privateKeyPem: string }> {
    const load = async () =>
      (
        await this.#db.query<{ public_key_pem: string; ciphertext: Uint8Array; nonce: Uint8Array; wrapped_key: Uint8Array; kek_id: number }>(
          'SELECT public_key_pem, ciphertext, nonce, wrapped_key, kek_id FROM secret_platform_keypair WHERE name = $1',
          [name],
        )
      ).rows[0];
    let row = await load();
    if (!row) {
      const pair = create();
      const pem = Buffer.from(pair.privateKeyPem, 'utf8');
      await this.#retry(() =>
        this.#db.tx(async (q) => {
          const kekId = await this.#fenceCurrentKek(q);
          const kek = this.#providers.get(kekId)!;
          const sealed = await seal(kek, pem, 'keypair', name, []);
          await q.query(
            `INSERT INTO secret_platform_keypair (name, public_key_pem, ciphertext, nonce, wrapped_key, kek_id) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (name) DO NOTHING`,
            [name, pair.publicKeyPem, sealed.ciphertext, sealed.nonce, sealed.wrappedKey, kekId],
          );
        }),
      );
      pem.fill(0);
      row = await load();
    }
    const kek = this.#providers.get(row.kek_id);
    if (!kek) throw this.#kekMissing(row.kek_id);
    const sealed: Sealed = { ciphertext: buf(row.ciphertext), nonce: buf(row.nonce), wrappedKey: buf(row.wrapped_key) };
    const privatePem = await unseal(kek, sealed, 'keypair', name, []);
    try {
      return { publicKeyPem: row.public_key_pem, privateKeyPem: privatePem.toString('utf8') };
    } finally {
      privatePem.fill(0);
    }
  }

  // ---------------------------------------------------------------- internals

  /** One statement for the key reads of concurrent callers; a (device, type, status) with two rows fails only its callers. */
  async #readBatch(keys: ReadKey[]): Promise<Array<SecretRow | undefined | Error>> {
    const unique = [...new Map(keys.map((k) => [readKey(k.deviceId, k.type, k.status), k])).values()];
    const r = await this.#db.query<SecretRow>(
      `SELECT ${SEALED_COLUMNS.split(', ').map((c) => `s.${c}`).join(', ')}
         FROM unnest($1::text[], $2::text[], $3::text[]) AS k(d, t, st)
         JOIN secret s ON s.device_identification = k.d AND s.secret_type = k.t AND s.status = k.st`,
      [unique.map((k) => k.deviceId), unique.map((k) => k.type), unique.map((k) => k.status)],
      { prepareAs: 'secret_read_batch' },
    );
    const found = new Map<string, SecretRow[]>();
    for (const row of r.rows) {
      const k = readKey(row.device_identification, row.secret_type, row.status);
      found.set(k, [...(found.get(k) ?? []), row]);
    }
    return keys.map((k) => {
      const rows = found.get(readKey(k.deviceId, k.type, k.status));
      if (rows && rows.length > 1) {
        return new MeterfabricError(ErrorCode.SECRET_INVARIANT, `${rows.length} ${k.status} ${k.type} keys for ${k.deviceId}`, { component: 'SECRET_MANAGEMENT' });
      }
      return rows?.[0];
    });
  }

  /** Submits one lifecycle write to the next batch; the cache forgets the pair before and after. */
  async #write(item: WriteItem): Promise<WriteOutcome> {
    this.#invalidate(item.d, item.t);
    try {
      return await this.#writes.submit(item);
    } finally {
      this.#invalidate(item.d, item.t);
    }
  }

  /**
   * Writes a batch in one statement and one transaction. Items go in the order of their lock keys (a stable sort:
   * one pair's items keep their order), so two batches, of this process or another, never wait for each other's
   * locks in a cycle. If the statement fails, every item runs alone, so the error reaches only its own caller.
   */
  async #writeBatch(items: WriteItem[]): Promise<Array<WriteOutcome | Error>> {
    const order = items.map((item, i) => ({ item, i, k: `${item.d}/${item.t}` })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i));
    const out: Array<WriteOutcome | Error> = new Array(items.length);
    if (items.length > 1) {
      try {
        const r = await this.#db.query<{ i: number; r: WriteOutcome }>(
          `SELECT e.i::int AS i, secret_write(e.item) AS r FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(item, i)`,
          [JSON.stringify(order.map((o) => o.item))],
          { prepareAs: 'secret_write_batch' },
        );
        for (const row of r.rows) out[order[Number(row.i) - 1]!.i] = row.r;
        // The statement committed: an item without a result (never expected) is not run again.
        for (let i = 0; i < out.length; i++) out[i] ??= new MeterfabricError(ErrorCode.INTERNAL_ERROR, 'secret store write returned no result', { component: 'SECRET_MANAGEMENT' });
        return out;
      } catch {
        // Run them one by one below.
      }
    }
    for (const o of order) {
      try {
        out[o.i] = await this.#retry(async () => {
          const r = await this.#db.query<{ r: WriteOutcome }>('SELECT secret_write($1::jsonb) AS r', [JSON.stringify(o.item)], { prepareAs: 'secret_write_one' });
          return r.rows[0]!.r;
        });
      } catch (e) {
        out[o.i] = e instanceof Error ? e : new Error(String(e));
      }
    }
    return out;
  }

  #checkId(deviceId: string, type: SecretType, secretId: number): void {
    if (!Number.isSafeInteger(secretId) || secretId <= 0) throw notPresent(`no ${type} with id ${String(secretId).slice(0, 20)} for device ${deviceId}`);
  }

  async #generateKey(type: SecretType): Promise<{ key: Buffer; origin: SecretOrigin }> {
    const hsm = this.#current.randomBytes?.bind(this.#current);
    if (isPasswordType(type)) {
      // Rejection-free: randomInt draws uniformly from the alphabet.
      const chars: string[] = [];
      for (let i = 0; i < 16; i++) chars.push(PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)]);
      return { key: Buffer.from(chars.join(''), 'ascii'), origin: 'GENERATED' };
    }
    // AES-128 keys, as GXF generates (docs/gxf.md#key-lifecycle) and DLMS security suite 0 uses.
    if (hsm) return { key: await hsm(16), origin: 'HSM_RANDOM' };
    return { key: randomBytes(16), origin: 'GENERATED' };
  }

  async #withLock<T>(deviceId: string, type: SecretType, fn: (q: Queryable) => Promise<T>): Promise<T> {
    this.#invalidate(deviceId, type);
    try {
      return await this.#retry(() =>
        this.#db.tx(async (q) => {
          await this.#lock(q, deviceId, type);
          return fn(q);
        }),
      );
    } finally {
      this.#invalidate(deviceId, type);
    }
  }

  #invalidate(deviceId?: string, type?: SecretType): void {
    this.#epoch++;
    if (!this.#cache) return;
    if (deviceId === undefined || type === undefined) {
      this.#cache.clear();
      return;
    }
    for (const status of ['NEW', 'ACTIVE'] as const) this.#cache.delete(`${status}\u0000${type}\u0000${deviceId}`);
  }

  async #retry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const fenced = isMeterfabricError(e) && e.details?.fenced === true;
        if (attempt >= 5 || !(isRetryableDbError(e) || fenced)) {
          if (isMeterfabricError(e)) throw e;
          throw new MeterfabricError(ErrorCode.INTERNAL_ERROR, 'secret store database operation failed', { component: 'SECRET_MANAGEMENT', cause: e });
        }
      }
    }
  }

  async #lock(q: Queryable, deviceId: string, type: SecretType): Promise<void> {
    await q.query('SELECT pg_advisory_xact_lock(hashtextextended($1, $2))', [`${deviceId}/${type}`, LOCK_SALT]);
  }

  /**
   * Holds the current KEK row FOR SHARE until this transaction ends, so a rotation cannot retire the KEK under a
   * row being inserted; returns the current KEK id. Throws a retryable error when a rotation moved on meanwhile.
   */
  async #fenceCurrentKek(q: Queryable): Promise<number> {
    const id = this.#currentKekId;
    const r = await q.query<{ id: number }>(`SELECT id FROM secret_kek WHERE id = $1 AND status = 'CURRENT' FOR SHARE`, [id]);
    if (r.rows.length === 1) return id;
    // This process's own rotation may have committed a moment before it switched in memory: wait for the switch,
    // so the retry uses the new KEK instead of failing as if another process had rotated.
    if (this.#kekSwitch) await this.#kekSwitch;
    throw new MeterfabricError(ErrorCode.KEK_UNAVAILABLE, `KEK ${this.#current.reference} is no longer current (rotated by another process?)`, {
      component: 'SECRET_MANAGEMENT',
      details: { fenced: id !== this.#currentKekId },
    });
  }

  async #insertNew(q: Queryable, deviceId: string, type: SecretType, key: Buffer, origin: SecretOrigin, ctx: SecretContext): Promise<number> {
    const kekId = await this.#fenceCurrentKek(q);
    const kek = this.#providers.get(kekId)!;
    const id = (await q.query<{ id: number }>(`SELECT nextval('secret_id_seq')::bigint AS id`)).rows[0].id;
    const sealed = await seal(kek, key, SCOPE, id, [deviceId, type]);
    // The row and its audit row in one statement (one round trip; the audit row exists only if the row does).
    const action = origin === 'IMPORTED' ? 'IMPORT' : origin === 'STORED' ? 'STORE' : 'GENERATE';
    await q.query(
      `WITH inserted AS (
         INSERT INTO secret (id, device_identification, secret_type, status, origin, ciphertext, nonce, wrapped_key, kek_id)
         VALUES ($1, $2, $3, 'NEW', $4, $5, $6, $7, $8)
         RETURNING id, device_identification, secret_type
       )
       INSERT INTO secret_audit (device_identification, secret_type, secret_id, action, from_status, to_status, actor, reason)
       SELECT device_identification, secret_type, id, $9, NULL, 'NEW', $10, $11 FROM inserted`,
      [id, deviceId, type, origin, sealed.ciphertext, sealed.nonce, sealed.wrappedKey, kekId, action, ctx.actor, ctx.reason],
    );
    return id;
  }

  /** GXF storeSecrets semantics: an earlier unsent NEW is withdrawn, then the key is stored NEW. */
  async #replaceNew(q: Queryable, deviceId: string, type: SecretType, key: Buffer, origin: SecretOrigin, ctx: SecretContext): Promise<number> {
    const pending = await this.#selectByStatus(q, deviceId, type, 'NEW');
    if (pending) {
      if (pending.sent_at) {
        throw stateError(
          `${type} ${pending.id} of ${deviceId} is NEW and may be on the device (sent); activate it, or withdraw it once the device is known not to hold it, before storing another`,
          { pendingSecretId: pending.id, sent: true },
        );
      }
      await this.#changeAudited(q, `status = 'WITHDRAWN', withdrawn_at = now()`, deviceId, type, pending.id, 'WITHDRAW', 'NEW', 'WITHDRAWN', {
        actor: ctx.actor,
        reason: `superseded: ${ctx.reason}`,
      });
    }
    return this.#insertNew(q, deviceId, type, key, origin, ctx);
  }

  async #activateLocked(q: Queryable, deviceId: string, type: SecretType, secretId: number, ctx: SecretContext): Promise<void> {
    const row = await this.#selectById(q, deviceId, type, secretId);
    if (row.status === 'ACTIVE') return;
    if (row.status !== 'NEW') throw stateError(`${type} ${secretId} of ${deviceId} is ${row.status}; only the NEW key can be activated`, { status: row.status });
    const previous = await this.#selectByStatus(q, deviceId, type, 'ACTIVE');
    // Expire first: the one-ACTIVE index must hold after every statement.
    if (previous) {
      await this.#changeAudited(q, `status = 'EXPIRED', expired_at = now()`, deviceId, type, previous.id, 'EXPIRE', 'ACTIVE', 'EXPIRED', ctx);
    }
    await this.#changeAudited(q, `status = 'ACTIVE', activated_at = now()`, deviceId, type, secretId, 'ACTIVATE', 'NEW', 'ACTIVE', ctx);
  }

  async #selectByStatus(q: Queryable, deviceId: string, type: SecretType, status: SecretStatus): Promise<SecretRow | undefined> {
    const r = await q.query<SecretRow>(`SELECT ${SEALED_COLUMNS} FROM secret WHERE device_identification = $1 AND secret_type = $2 AND status = $3`, [
      deviceId,
      type,
      status,
    ]);
    if (r.rows.length > 1) {
      throw new MeterfabricError(ErrorCode.SECRET_INVARIANT, `${r.rows.length} ${status} ${type} keys for ${deviceId}`, { component: 'SECRET_MANAGEMENT' });
    }
    return r.rows[0];
  }

  async #selectById(q: Queryable, deviceId: string, type: SecretType, secretId: number): Promise<SecretRow> {
    if (!Number.isSafeInteger(secretId) || secretId <= 0) throw notPresent(`no ${type} with id ${String(secretId).slice(0, 20)} for device ${deviceId}`);
    const r = await q.query<SecretRow>(
      `SELECT ${SEALED_COLUMNS} FROM secret WHERE id = $1 AND device_identification = $2 AND secret_type = $3 FOR UPDATE`,
      [secretId, deviceId, type],
    );
    const row = r.rows[0];
    if (!row) throw notPresent(`no ${type} with id ${secretId} for device ${deviceId}`);
    return row;
  }

  async #getByStatus(deviceId: string, type: SecretType, status: SecretStatus): Promise<SecretKey | undefined> {
    checkDeviceId(deviceId);
    checkSecretType(type);
    let row: SecretRow | null | undefined;
    const cacheKey = `${status}\u0000${type}\u0000${deviceId}`;
    if (this.#cache) row = this.#cache.get(cacheKey);
    if (row === undefined) {
      const epoch = this.#epoch;
      row = (await this.#reads.submit({ deviceId, type, status })) ?? null;
      if (this.#cache && epoch === this.#epoch) {
        if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
        this.#cache.set(cacheKey, row);
      }
    }
    if (!row) return undefined;
    return { secretId: row.id, key: await this.#open(row) };
  }

  async #open(row: SecretRow): Promise<Buffer> {
    const kek = this.#providers.get(row.kek_id);
    if (!kek) throw this.#kekMissing(row.kek_id);
    const sealed: Sealed = { ciphertext: buf(row.ciphertext), nonce: buf(row.nonce), wrappedKey: buf(row.wrapped_key) };
    return unseal(kek, sealed, SCOPE, row.id, [row.device_identification, row.secret_type]);
  }

  #kekMissing(kekId: number): MeterfabricError {
    return new MeterfabricError(ErrorCode.KEK_UNAVAILABLE, `KEK ${this.#references.get(kekId) ?? `#${kekId}`} is not available to this store`, {
      component: 'SECRET_MANAGEMENT',
    });
  }

  /**
   * Changes one row (already selected FOR UPDATE under the device/type lock) and writes its audit row, in one
   * statement: one round trip instead of two, same transaction, same order of effects. `set` is a constant SQL
   * assignment list of this file, never caller input.
   */
  async #changeAudited(
    q: Queryable,
    set: string,
    deviceId: string,
    type: SecretType,
    secretId: number,
    action: string,
    from: SecretStatus | null,
    to: SecretStatus | null,
    ctx: SecretContext,
  ): Promise<void> {
    const r = await q.query(
      `WITH changed AS (UPDATE secret SET ${set} WHERE id = $1 RETURNING id)
       INSERT INTO secret_audit (device_identification, secret_type, secret_id, action, from_status, to_status, actor, reason)
       SELECT $2, $3, id, $4, $5::text, $6::text, $7, $8 FROM changed`,
      [secretId, deviceId, type, action, from, to, ctx.actor, ctx.reason],
    );
    if (r.rowCount !== 1) {
      throw new MeterfabricError(ErrorCode.SECRET_INVARIANT, `${type} ${secretId} of ${deviceId} vanished while locked`, { component: 'SECRET_MANAGEMENT' });
    }
  }

  async #audit(
    q: Queryable,
    deviceId: string,
    type: SecretType,
    secretId: number,
    action: string,
    from: SecretStatus | null,
    to: SecretStatus | null,
    ctx: SecretContext,
  ): Promise<void> {
    await q.query(
      `INSERT INTO secret_audit (device_identification, secret_type, secret_id, action, from_status, to_status, actor, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [deviceId, type, secretId, action, from, to, ctx.actor, ctx.reason],
    );
  }
}

/**
 * The E-meter's own keys: ReplaceKeys, GenerateAndReplaceKeys (class 64 global_key_transfer) and GetKeys, and the
 * key recovery every association of a gateway runs (docs/gxf.md#e-meter-keys).
 *
 * Guarantees beyond GXF (which leaves a meter whose key change was cut off to a recovery job minutes later):
 * - one key change per gateway at a time: the platform's exchange lock (one exchange per gateway across all
 *   worker processes) and, for callers in one process that bypass the queue, a per-device lock here;
 * - write-ahead: both new keys are stored NEW and marked sent before the first global_key_transfer leaves the
 *   process, so a key the meter may hold is never lost or withdrawn on a guess;
 * - self-recovery: an association first uses the ACTIVE keys; when the meter refuses them and keys marked sent
 *   exist, it tries them (AK before EK, the order they are sent in) and, when one set is accepted, makes the
 *   store say what the meter holds: the NEW keys it accepted become ACTIVE, the sent NEW keys it proved absent are
 *   withdrawn. A key change retries within its own request (reconnect, recover, continue), so a request ends OK,
 *   or NOT OK with the store equal to the meter: never "unknown which key the meter holds";
 * - invocation counters: the client's counter is never lowered (a new EK makes the meter restart its check, so
 *   any higher counter is accepted, and no IV is ever used twice even if a key comes back); the meter's own
 *   counter restarts with its new EK, which the session follows (src/session/client.ts switchKeys).
 */
import { constants, publicEncrypt } from 'node:crypto';
import { ErrorCode, MeterfabricError, isMeterfabricError, isRetryable } from '../errors.ts';
import { GlobalKeyId, wrapGlobalKeyTransfer } from '../dlms/security/global-key-transfer.ts';
import type { SecretStore } from '../secrets/store.ts';
import type { SecretType } from '../secrets/types.ts';
import { functional, withLink, type RequestInfo } from './mbus-keys.ts';
import type { ExecutorDeps } from './ports.ts';

export const AK: SecretType = 'E_METER_AUTHENTICATION_KEY';
export const EK: SecretType = 'E_METER_ENCRYPTION_KEY_UNICAST';
export const MK: SecretType = 'E_METER_MASTER_KEY';

/** The part of the secret store's public API the E-meter key logic uses. */
export type EMeterKeyStore = Pick<SecretStore, 'getActive' | 'getNew' | 'list' | 'getOrGeneratePending' | 'storeNew' | 'markSent' | 'activate' | 'withdraw'>;

export interface KeySet {
  ak: Buffer;
  ek: Buffer;
}

/** What GetKeys and the key changes need beyond the executors' common ports. */
export interface EMeterKeyPort {
  store: EMeterKeyStore;
  /** The organisation's RSA public key (PEM), registered with `meterfabric org set ORG --public-key PEMFILE`. */
  organisationPublicKey(organisation: string): Promise<string | undefined>;
  /** Attempts of one key change within one execution (reconnect, recover, continue); default 4. */
  attempts?: number;
  /** Pause before the n-th reconnect: n × this; default 500 ms. */
  retryDelayMs?: number;
}

/** Binds the port to the secret store and a lookup of organisation keys. */
export function emeterKeyPort(store: SecretStore, organisationPublicKey: (org: string) => Promise<string | undefined>, o: { attempts?: number; retryDelayMs?: number } = {}): EMeterKeyPort {
  return { store, organisationPublicKey, ...o };
}

/** Errors that say "this key set is not the meter's": the association was refused or did not decipher. */
export function isKeyMismatch(e: unknown): boolean {
  return isMeterfabricError(e) && (e.code === ErrorCode.AUTHENTICATION_ERROR || e.code === ErrorCode.UNABLE_TO_DECYPHER);
}

interface Pending {
  secretId: number;
  key: Buffer;
}

/** NEW keys of the type that were marked sent (the meter may hold them). */
async function sentNew(store: EMeterKeyStore, deviceId: string, type: SecretType): Promise<Pending | undefined> {
  const meta = (await store.list(deviceId)).find((m) => m.type === type && m.status === 'NEW' && m.sent);
  if (!meta) return undefined;
  const k = await store.getNew(deviceId, type);
  return k && k.secretId === meta.secretId ? k : undefined;
}

/**
 * Opens an association with the ACTIVE keys; when the meter refuses them and keys marked sent exist, with those
 * (docs/gxf.md#e-meter-key-recovery), and reconciles the store with the set the meter accepted. The happy path
 * costs nothing extra: the NEW keys are looked up only after a refusal.
 */
export async function associateRecovering<S>(store: EMeterKeyStore, deviceId: string, associate: (keys: KeySet) => Promise<S>, ctx: { actor: string; reason: string }): Promise<S> {
  const [ak, ek] = await Promise.all([store.getActive(deviceId, AK), store.getActive(deviceId, EK)]);
  if (!ak || !ek) throw new MeterfabricError(ErrorCode.KEY_NOT_PRESENT, `No active authentication and encryption keys for ${deviceId}`, { retryable: false });
  let first: unknown;
  try {
    return await associate({ ak: ak.key, ek: ek.key });
  } catch (e) {
    if (!isKeyMismatch(e)) throw e;
    first = e;
  }
  const [nak, nek] = [await sentNew(store, deviceId, AK), await sentNew(store, deviceId, EK)];
  // The order keys are sent in: AK first, then EK (docs/gxf.md#e-meter-keys).
  const candidates: { ak?: Pending; ek?: Pending }[] = [];
  if (nak) candidates.push({ ak: nak });
  if (nak && nek) candidates.push({ ak: nak, ek: nek });
  if (nek) candidates.push({ ek: nek });
  for (const c of candidates) {
    let session: S;
    try {
      session = await associate({ ak: (c.ak ?? ak).key, ek: (c.ek ?? ek).key });
    } catch (e) {
      if (isKeyMismatch(e)) continue;
      throw e;
    }
    const reason = `${ctx.reason}: the meter accepted ${c.ak && c.ek ? 'the NEW AK and EK' : c.ak ? 'the NEW AK' : 'the NEW EK'}`;
    for (const [type, used, pending] of [[AK, c.ak, nak], [EK, c.ek, nek]] as const) {
      if (used) await store.activate(deviceId, type, used.secretId, { actor: ctx.actor, reason });
      else if (pending) await store.withdraw(deviceId, type, pending.secretId, { actor: ctx.actor, reason, confirmedNotOnDevice: true });
    }
    return session;
  }
  throw first;
}

/** An authentication failure that is really the line closing during the association (HLS pass 3): worth another attempt. */
function lineLost(e: unknown): boolean {
  return isMeterfabricError(e) && e.code === ErrorCode.AUTHENTICATION_ERROR && isRetryable((e as { cause?: unknown }).cause);
}

/** One key change at a time per device in this process (across processes: the platform's exchange lock). */
const deviceLocks = new Map<string, Promise<unknown>>();

export async function withDeviceLock<T>(deviceId: string, fn: () => Promise<T>): Promise<T> {
  const before = deviceLocks.get(deviceId) ?? Promise.resolve();
  const run = before.catch(() => undefined).then(fn);
  const tail = run.catch(() => undefined);
  deviceLocks.set(deviceId, tail);
  try {
    return await run;
  } finally {
    if (deviceLocks.get(deviceId) === tail) deviceLocks.delete(deviceId);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export type KeyChange = { kind: 'generate' } | { kind: 'replace'; ak: Buffer; ek: Buffer };

/**
 * ReplaceKeys / GenerateAndReplaceKeys on an E-meter: AK then EK, each wrapped under the ACTIVE master key and sent
 * with class 64 global_key_transfer, the open association switched to it, the key activated. Retries within the
 * request until the meter holds the new keys, a functional error ends it, or the attempts are used up (then the
 * store still equals the meter: the next association recovers whatever is pending).
 */
export async function changeEMeterKeys(deps: ExecutorDeps & { emeterKeys: EMeterKeyPort }, req: RequestInfo, change: KeyChange): Promise<undefined> {
  const gateway = await deps.inventory.getGateway(req.deviceIdentification);
  const id = gateway.deviceIdentification;
  const port = deps.emeterKeys;
  const store = port.store;
  const ctx = { actor: req.organisationIdentification, reason: req.correlationUid };
  const attempts = port.attempts ?? 4;
  const delayMs = port.retryDelayMs ?? 500;
  if (change.kind === 'replace') {
    for (const k of [change.ak, change.ek]) if (k.length !== 16) throw functional(ErrorCode.INVALID_DLMS_KEY_FORMAT, 'E-meter keys must be 16 bytes (AES-128)');
  }
  return withDeviceLock(id, async () => {
    let targets: Map<SecretType, Buffer> | undefined = change.kind === 'replace' ? new Map([[AK, change.ak], [EK, change.ek]]) : undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        await withLink(deps, id, req.signal, async (link) => {
          // The association proved which keys the meter holds (recovery made the store agree when it ran); a sent
          // NEW key still pending is therefore not on the meter.
          for (const type of [AK, EK]) {
            const p = await sentNew(store, id, type);
            if (p) await store.withdraw(id, type, p.secretId, { ...ctx, reason: `${ctx.reason}: not on the meter (association with the ACTIVE key)`, confirmedNotOnDevice: true });
          }
          if (!targets) {
            const [pak, pek] = [await store.getOrGeneratePending(id, AK, ctx), await store.getOrGeneratePending(id, EK, ctx)];
            targets = new Map([[AK, Buffer.from(pak.key)], [EK, Buffer.from(pek.key)]]);
          }
          const mk = await store.getActive(id, MK);
          if (!mk) throw functional(ErrorCode.KEY_NOT_PRESENT, `No master key (E_METER_MASTER_KEY) is known for ${id}`);
          const todo: { type: SecretType; keyId: number; key: Buffer; secretId: number }[] = [];
          for (const [type, keyId] of [[AK, GlobalKeyId.AUTHENTICATION_KEY], [EK, GlobalKeyId.GLOBAL_UNICAST_ENCRYPTION_KEY]] as const) {
            const key = targets.get(type)!;
            if ((await store.getActive(id, type))?.key.equals(key)) continue; // done by an earlier attempt
            const pending = await store.getNew(id, type);
            const secretId = pending?.key.equals(key) ? pending.secretId : (await store.storeNew(id, type, key, ctx)).secretId;
            todo.push({ type, keyId, key, secretId });
          }
          // Write-ahead: from here on the meter may hold these keys.
          for (const t of todo) await store.markSent(id, t.type, t.secretId, ctx);
          for (const t of todo) {
            try {
              await link.globalKeyTransfer(wrapGlobalKeyTransfer(mk.key, [{ keyId: t.keyId, key: t.key }]));
            } catch (e) {
              if (isMeterfabricError(e) && e.code === ErrorCode.ACTION_RESULT) {
                // The meter answered under the keys of this association: it holds none of the keys not yet activated.
                for (const u of todo.slice(todo.indexOf(t))) {
                  await store.withdraw(id, u.type, u.secretId, { ...ctx, reason: `${ctx.reason}: refused by the meter`, confirmedNotOnDevice: true });
                }
                throw functional(ErrorCode.ACTION_RESULT, `AccessResultCode for replace keys was not SUCCESS: ${String(e.details?.result ?? '')}`.trim());
              }
              throw e;
            }
            link.switchKeys(t.type === AK ? { ak: t.key } : { ek: t.key });
            await store.activate(id, t.type, t.secretId, ctx);
          }
        });
        return undefined;
      } catch (e) {
        if (!(isRetryable(e) || lineLost(e)) || attempt >= attempts || req.signal?.aborted) {
          // The line, not the keys: say so (and let the platform retry the request later).
          throw lineLost(e) ? (e as { cause: unknown }).cause : e;
        }
        await sleep(delayMs * attempt, req.signal);
      }
    }
  });
}

/** GetKeys' key types, in GXF's order of its answer (docs/gxf.md#getkeys). */
export const GET_KEYS_ORDER: readonly SecretType[] = [
  'E_METER_MASTER_KEY', 'E_METER_AUTHENTICATION_KEY', 'E_METER_ENCRYPTION_KEY_UNICAST', 'E_METER_ENCRYPTION_KEY_BROADCAST',
  'G_METER_MASTER_KEY', 'G_METER_ENCRYPTION_KEY', 'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY', 'G_METER_OPTICAL_PORT_KEY',
];

/** RSA-OAEP with SHA-1 (and MGF1-SHA-1), as GXF encrypts keys for its clients (Java's RSA/ECB/OAEPPadding). */
export function encryptForOrganisation(publicKeyPem: string, key: Buffer): string {
  return publicEncrypt({ key: publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, key).toString('hex').toUpperCase();
}

/** GetKeys: the ACTIVE keys of the requested types, each encrypted with the caller's RSA public key; never in clear. */
export async function getKeys(deps: { emeterKeys: EMeterKeyPort }, req: RequestInfo, types: readonly SecretType[]): Promise<{ keys: { secretType: SecretType; secretValue: string }[] }> {
  const pem = await deps.emeterKeys.organisationPublicKey(req.organisationIdentification);
  if (!pem) {
    throw functional(ErrorCode.KEY_NOT_PRESENT, `No public key is registered for organisation ${req.organisationIdentification} (meterfabric org set ${req.organisationIdentification} --public-key PEMFILE)`, 'DOMAIN_SMART_METERING');
  }
  const wanted = new Set(types);
  const keys: { secretType: SecretType; secretValue: string }[] = [];
  for (const type of GET_KEYS_ORDER) {
    if (!wanted.has(type)) continue;
    const k = await deps.emeterKeys.store.getActive(req.deviceIdentification, type);
    if (!k) throw functional(ErrorCode.KEY_NOT_PRESENT, `No ACTIVE ${type} is known for ${req.deviceIdentification}`, 'DOMAIN_SMART_METERING');
    try {
      keys.push({ secretType: type, secretValue: encryptForOrganisation(pem, k.key) });
    } finally {
      k.key.fill(0);
    }
  }
  return { keys };
}

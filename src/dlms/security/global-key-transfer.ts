/**
 * Class 64 security setup, method 2 global_key_transfer (docs/dlms.md#global-key-transfer-class-64):
 * array[n] of structure{ key_id enum, key_wrapped octet-string(24) }, key_wrapped = RFC 3394 under the master key.
 */
import { type DlmsData, Data } from '../axdr.ts';
import { decodeError } from '../bytes.ts';
import { aesKeyUnwrap, aesKeyWrap } from './keywrap.ts';

export const GlobalKeyId = {
  GLOBAL_UNICAST_ENCRYPTION_KEY: 0,
  GLOBAL_BROADCAST_ENCRYPTION_KEY: 1,
  AUTHENTICATION_KEY: 2,
  MASTER_KEY: 3,
} as const;

export interface WrappedGlobalKey {
  keyId: number;
  wrappedKey: Buffer;
}

export function globalKeyTransferParameter(keys: WrappedGlobalKey[]): DlmsData {
  return Data.array(keys.map((k) => Data.structure([Data.enum(k.keyId), Data.octetString(k.wrappedKey)])));
}

/** Wraps each key under the master key (KEK) and builds the method parameter. */
export function wrapGlobalKeyTransfer(masterKey: Buffer, keys: Array<{ keyId: number; key: Buffer }>): DlmsData {
  return globalKeyTransferParameter(keys.map((k) => ({ keyId: k.keyId, wrappedKey: aesKeyWrap(masterKey, k.key) })));
}

export function parseGlobalKeyTransferParameter(d: DlmsData): WrappedGlobalKey[] {
  if (d.type !== 'array') throw decodeError(`global_key_transfer parameter must be an array, got ${d.type}`);
  return d.value.map((e, i) => {
    if (e.type !== 'structure' || e.value.length !== 2 || e.value[0]!.type !== 'enum' || e.value[1]!.type !== 'octet-string') {
      throw decodeError(`global_key_transfer entry ${i} must be structure{enum, octet-string}`);
    }
    return { keyId: (e.value[0] as { value: number }).value, wrappedKey: (e.value[1] as { value: Buffer }).value };
  });
}

/** The meter side: parse and unwrap; throws UNABLE_TO_DECYPHER when a key does not unwrap under the master key. */
export function unwrapGlobalKeyTransfer(masterKey: Buffer, d: DlmsData): Array<{ keyId: number; key: Buffer }> {
  return parseGlobalKeyTransferParameter(d).map((k) => ({ keyId: k.keyId, key: aesKeyUnwrap(masterKey, k.wrappedKey) }));
}

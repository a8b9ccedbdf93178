/** The secret store's public surface (README.md in this folder). */
export { SecretStore } from './store.ts';
export type { SecretKey, PendingKey, SecretMetadata, AuditRow, WithdrawContext, ImportOptions, ImportResult, RotationResult, OpenOptions, SecretOrigin } from './store.ts';
export { SoftwareKekProvider, openDefaultKek, keyCheckValue, KEK_FILE_NAME, type KekProvider, type DefaultKekOptions } from './kek.ts';
export { Pkcs11KekProvider, type Pkcs11KekOptions } from './pkcs11-kek.ts';
export { ClientKeyPair, encryptKeyForOrganisation, CLIENT_KEY_PAIR_NAME } from './client-keys.ts';
export { parseKeyShipment, KEY_SHIPMENT_FORMAT, type KeyShipmentFormat, type KeyShipmentRow } from './import.ts';
export { SECRET_TYPES, SECRET_STATUSES, isSecretType, type SecretType, type SecretStatus, type SecretContext } from './types.ts';

export * from './glo.ts';
export * from './hls.ts';
export * from './keywrap.ts';
export * from './mbus-transfer-key.ts';
export * from './global-key-transfer.ts';
export { decipherError } from './crypto.ts';

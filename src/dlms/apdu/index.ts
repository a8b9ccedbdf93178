/**
 * xDLMS and ACSE APDUs. `decodeApdu(bytes)` dispatches on the first byte (and the service choice byte for
 * GET/SET/ACTION) and returns an immutable object; every object has `encode()`.
 */
import { decodeError } from '../bytes.ts';
import { Aare, Aarq, AcseTag, Rlre, Rlrq } from './acse.ts';
import { DED_TAGS, GENERAL_DED_CIPHERING_TAG, GENERAL_GLO_CIPHERING_TAG, GeneralGloCiphering, GloCipheredApdu, isGloTag } from './ciphered.ts';
import { InitiateRequest, InitiateResponse } from './initiate.ts';
import {
  ActionRequestNormal,
  ActionResponseNormal,
  ApduTag,
  ConfirmedServiceError,
  ExceptionResponse,
  GetRequestNext,
  GetRequestNormal,
  GetRequestWithList,
  GetResponseNormal,
  GetResponseWithDataBlock,
  GetResponseWithList,
  SetRequestNormal,
  SetRequestWithList,
  SetResponseNormal,
  SetResponseWithList,
} from './services.ts';

export * from './acse.ts';
export * from './block-transfer.ts';
export * from './result-errors.ts';
export * from './ciphered.ts';
export * from './common.ts';
export * from './initiate.ts';
export * from './services.ts';

export type Apdu =
  | Aarq
  | Aare
  | Rlrq
  | Rlre
  | InitiateRequest
  | InitiateResponse
  | ConfirmedServiceError
  | ExceptionResponse
  | GetRequestNormal
  | GetRequestNext
  | GetRequestWithList
  | GetResponseNormal
  | GetResponseWithDataBlock
  | GetResponseWithList
  | SetRequestNormal
  | SetRequestWithList
  | SetResponseNormal
  | SetResponseWithList
  | ActionRequestNormal
  | ActionResponseNormal
  | GloCipheredApdu
  | GeneralGloCiphering;

function byChoice<T>(buf: Buffer, service: string, table: Record<number, (b: Buffer) => T>): T {
  if (buf.length < 2) throw decodeError(`${service}: APDU of ${buf.length} byte(s) has no service choice`);
  const decode = table[buf[1]!];
  if (!decode) throw decodeError(`${service}: unsupported choice ${buf[1]}`);
  return decode(buf);
}

/** Decodes any APDU this stack knows; throws DECODE_ERROR naming the tag otherwise. */
export function decodeApdu(buf: Buffer): Apdu {
  if (buf.length === 0) throw decodeError('empty APDU');
  const tag = buf[0]!;
  switch (tag) {
    case AcseTag.AARQ:
      return Aarq.decode(buf);
    case AcseTag.AARE:
      return Aare.decode(buf);
    case AcseTag.RLRQ:
      return Rlrq.decode(buf);
    case AcseTag.RLRE:
      return Rlre.decode(buf);
    case ApduTag.INITIATE_REQUEST:
      return InitiateRequest.decode(buf);
    case ApduTag.INITIATE_RESPONSE:
      return InitiateResponse.decode(buf);
    case ApduTag.CONFIRMED_SERVICE_ERROR:
      return ConfirmedServiceError.decode(buf);
    case ApduTag.EXCEPTION_RESPONSE:
      return ExceptionResponse.decode(buf);
    case ApduTag.GET_REQUEST:
      return byChoice<Apdu>(buf, 'get-request', { 1: GetRequestNormal.decode, 2: GetRequestNext.decode, 3: GetRequestWithList.decode });
    case ApduTag.GET_RESPONSE:
      return byChoice<Apdu>(buf, 'get-response', { 1: GetResponseNormal.decode, 2: GetResponseWithDataBlock.decode, 3: GetResponseWithList.decode });
    case ApduTag.SET_REQUEST:
      return byChoice<Apdu>(buf, 'set-request', { 1: SetRequestNormal.decode, 4: SetRequestWithList.decode });
    case ApduTag.SET_RESPONSE:
      return byChoice<Apdu>(buf, 'set-response', { 1: SetResponseNormal.decode, 5: SetResponseWithList.decode });
    case ApduTag.ACTION_REQUEST:
      return byChoice<Apdu>(buf, 'action-request', { 1: ActionRequestNormal.decode });
    case ApduTag.ACTION_RESPONSE:
      return byChoice<Apdu>(buf, 'action-response', { 1: ActionResponseNormal.decode });
    case GENERAL_GLO_CIPHERING_TAG:
    case GENERAL_DED_CIPHERING_TAG:
      return GeneralGloCiphering.decode(buf);
    default:
      if (isGloTag(tag)) return GloCipheredApdu.decode(buf);
      if (DED_TAGS.has(tag)) throw decodeError(`dedicated-key ciphered APDU 0x${tag.toString(16)} is not supported`);
      throw decodeError(`unknown APDU tag 0x${tag.toString(16).padStart(2, '0')}`);
  }
}

/** Decoding an OTLP request body of any signal, and the error that says why one cannot be. */
import type protobuf from 'protobufjs';
import { DECODE_OPTIONS } from './proto.js';

/** A malformed request, answered 400 (INVALID_ARGUMENT) with this message. */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
}

/** A request body as plain objects in OTLP/JSON's shapes, or a PayloadError saying why not. */
export function decodeRequest(body: Uint8Array, json: boolean, type: protobuf.Type): unknown {
  try {
    return json
      ? (JSON.parse(Buffer.from(body).toString('utf8')) as unknown)
      : type.toObject(type.decode(body), DECODE_OPTIONS);
  } catch (error) {
    throw new PayloadError(`not ${json ? 'JSON' : `a protobuf ${type.name}`}: ${(error as Error).message}`);
  }
}

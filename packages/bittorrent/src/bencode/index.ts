export { asBytes, asDict, asInt, asList, asString } from './access.js';
export {
  binaryToBytes,
  bytesToBinary,
  compareBytes,
  decodeUtf8,
  equalBytes,
  fromHex,
  toHex,
  utf8,
} from './binary.js';
export {
  type BencodeDecodeOptions,
  bdecode,
  bdecodePrefix,
  bdecodeWithSpans,
  type DecodedWithSpans,
} from './decode.js';
export { bencode } from './encode.js';
export { type BDict, type BEncodable, BencodeError, type BValue, type Span } from './types.js';

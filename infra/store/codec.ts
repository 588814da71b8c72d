/**
 * The value codec shared by every store (passed to keyv as `serialize`/`deserialize`).
 *
 * keyv's default serializer (@keyv/serialize) only knows `Buffer`: a plain `Uint8Array` (or a
 * `Float32Array`) comes back as an object like `{"0":1,"1":2}`. This codec keeps keyv's wire format
 * (JSON, `:base64:` strings for bytes, a leading `:` escaped as `::`) and adds:
 * - any `Uint8Array` (including `Buffer`) → bytes, read back as a `Buffer` that owns its own
 *   `ArrayBuffer` (byteOffset 0), so `new Float32Array(buf.buffer, buf.byteOffset, n)` is safe;
 * - `Float32Array` → `:f32:<base64 of the little-endian bytes>`, read back as a `Float32Array`
 *   with identical bits (NaN payloads and -0 included);
 * - other typed arrays / DataView are refused (they would silently turn into objects).
 */
import { Buffer } from 'node:buffer';

const BYTES = ':base64:';
const F32 = ':f32:';

function encodeValue(this: unknown, key: string, value: unknown): unknown {
  // `this[key]` is the value before `toJSON` (Buffer.toJSON would give `{type,data}`).
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Uint8Array) {
    return BYTES + Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64');
  }
  if (original instanceof Float32Array) {
    return F32 + Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64');
  }
  if (ArrayBuffer.isView(original)) {
    throw new TypeError(
      `Cannot store a ${original.constructor.name}: only Uint8Array/Buffer and Float32Array are supported as binary values`,
    );
  }
  if (typeof value === 'string' && value.startsWith(':')) return `:${value}`;
  return value;
}

function decodeBase64(s: string): Buffer {
  // Buffer.alloc never uses the shared pool, so the result owns its ArrayBuffer.
  const out = Buffer.alloc(Buffer.byteLength(s, 'base64'));
  out.write(s, 'base64');
  return out;
}

function decodeValue(_key: string, value: unknown): unknown {
  if (typeof value !== 'string' || !value.startsWith(':')) return value;
  if (value.startsWith(BYTES)) return decodeBase64(value.slice(BYTES.length));
  if (value.startsWith(F32)) {
    const bytes = decodeBase64(value.slice(F32.length));
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  }
  return value.slice(1);
}

/** keyv `serialize`: `{ value, expires }` → JSON text. */
export function serialize(data: unknown): string {
  return JSON.stringify(data, encodeValue) ?? 'null';
}

/** keyv `deserialize`: JSON text → `{ value, expires }`. */
export function deserialize<T>(text: string): T {
  return JSON.parse(text, decodeValue) as T;
}

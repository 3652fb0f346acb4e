/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header, then the raw data.
 * Everything here is pure (no file system) so it runs in browsers too; `./node` adds file reading.
 */

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** HuggingFace's own reader refuses headers above 100 MB; a larger one is a corrupt length. */
export const MAX_HEADER_BYTES = 100_000_000;

export const DTYPE_BYTES = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 } as const;
export type Dtype = keyof typeof DTYPE_BYTES;
/** The dtypes this reader converts; float ones become float32, integer ones int32. */
const READABLE: ReadonlySet<string> = new Set(['F64', 'F32', 'F16', 'BF16', 'I64', 'I32']);

export interface TensorEntry {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  /** Byte offsets relative to the start of the data section. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  /** Total bytes before the data section (8 + header length). */
  readonly dataOffset: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: readonly TensorEntry[];
}

export type TensorData = Float32Array | Int32Array;

export interface Tensor {
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** Reads the header length from the first 8 bytes and checks it fits the file. */
export function readHeaderLength(prefix: Uint8Array, fileSize: number): number {
  if (fileSize < 8 || prefix.length < 8) throw new SafetensorsError(`file is ${fileSize} bytes, too short for a safetensors header`);
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(`not a safetensors file (its header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte limit)`);
  const n = Number(length);
  if (n < 2) throw new SafetensorsError(`header length ${n} is too small to hold JSON`);
  if (8 + n > fileSize) throw new SafetensorsError(`header length ${n} runs past the end of the ${fileSize}-byte file (truncated?)`);
  return n;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses and validates the JSON header: dtypes, shapes, byte ranges inside the file, no overlaps. */
export function parseHeader(headerJson: Uint8Array, fileSize: number): SafetensorsHeader {
  const dataOffset = 8 + headerJson.length;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerJson));
  } catch {
    throw new SafetensorsError('header is not valid UTF-8 JSON');
  }
  if (!isRecord(parsed)) throw new SafetensorsError('header is not a JSON object');
  const dataSize = fileSize - dataOffset;
  const metadata: Record<string, string> = {};
  const tensors: TensorEntry[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      if (!isRecord(value)) throw new SafetensorsError('__metadata__ is not an object');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw new SafetensorsError(`__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (!isRecord(value)) throw new SafetensorsError(`tensor ${name}: entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = value;
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) throw new SafetensorsError(`tensor ${name}: unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`tensor ${name}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new SafetensorsError(`tensor ${name}: data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) throw new SafetensorsError(`tensor ${name}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataSize) throw new SafetensorsError(`tensor ${name}: bytes [${begin}, ${end}) lie outside the ${dataSize}-byte data section (truncated file?)`);
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = elements * DTYPE_BYTES[dtype as Dtype];
    if (expected !== end - begin) {
      throw new SafetensorsError(`tensor ${name}: shape [${shape.join(', ')}] of ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`);
    }
    tensors.push({ name, dtype: dtype as Dtype, shape: shape as number[], begin, end });
  }
  const ordered = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < ordered.length; i++) {
    const prev = ordered[i - 1]!;
    const cur = ordered[i]!;
    if (cur.begin < prev.end) throw new SafetensorsError(`tensors ${prev.name} and ${cur.name} overlap in the data section`);
  }
  // As HuggingFace's reader: the tensors fill the data section exactly, so a file with bytes appended is refused.
  const used = ordered.reduce((most, t) => Math.max(most, t.end), 0);
  if (used !== dataSize) throw new SafetensorsError(`the data section is ${dataSize} bytes but its tensors use ${used} (bytes appended after the data?)`);
  return { dataOffset, metadata, tensors };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

let halfTable: Float32Array | undefined;
function halfLookup(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) halfTable[i] = halfToFloat(i);
  }
  return halfTable;
}

/** Converts one tensor's raw little-endian bytes to float32 (float dtypes) or int32 (integer dtypes). */
export function decodeTensorBytes(entry: Pick<TensorEntry, 'name' | 'dtype' | 'shape'>, bytes: Uint8Array): Tensor {
  if (!READABLE.has(entry.dtype)) throw new SafetensorsError(`tensor ${entry.name}: dtype ${entry.dtype} is not supported (F32, F16, BF16, F64, I32, I64 are)`);
  const count = entry.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = [...entry.shape];
  switch (entry.dtype) {
    case 'F32': {
      const out = new Float32Array(count);
      // Copy through a byte view: the source may not be 4-byte aligned.
      new Uint8Array(out.buffer).set(bytes.subarray(0, count * 4));
      return { shape, data: out };
    }
    case 'F16': {
      const table = halfLookup();
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = table[view.getUint16(i * 2, true)]!;
      return { shape, data: out };
    }
    case 'BF16': {
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      return { shape, data: out };
    }
    case 'F64': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return { shape, data: out };
    }
    case 'I32': {
      const out = new Int32Array(count);
      new Uint8Array(out.buffer).set(bytes.subarray(0, count * 4));
      return { shape, data: out };
    }
    default: {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = view.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n) throw new SafetensorsError(`tensor ${entry.name}: int64 value ${v} does not fit int32`);
        out[i] = Number(v);
      }
      return { shape, data: out };
    }
  }
}

/**
 * Tensors decoded on first use and kept: a map over a file's header whose values are read only when
 * asked for, as safetensors' own `safe_open` does. A full-context GPT-2 trace is gigabytes, and a
 * poster or a script reads a fraction of it. `load` decodes (and may check) one entry.
 */
export class LazyTensors<K extends string = string> implements ReadonlyMap<K, Tensor> {
  readonly #entries: ReadonlyMap<K, TensorEntry>;
  readonly #load: (entry: TensorEntry) => Tensor;
  readonly #loaded: Map<K, Tensor>;
  readonly #names: readonly K[];

  /** `known`: tensors already in memory, beside those the header lists. */
  constructor(entries: Iterable<TensorEntry>, load: (entry: TensorEntry) => Tensor, known: Iterable<readonly [K, Tensor]> = []) {
    this.#entries = new Map([...entries].map((e) => [e.name as K, e]));
    this.#load = load;
    this.#loaded = new Map(known);
    this.#names = [...new Set([...this.#entries.keys(), ...this.#loaded.keys()])];
  }

  get size(): number {
    return this.#names.length;
  }

  has(name: K): boolean {
    return this.#entries.has(name) || this.#loaded.has(name);
  }

  get(name: K): Tensor | undefined {
    const known = this.#loaded.get(name);
    if (known) return known;
    const entry = this.#entries.get(name);
    if (!entry) return undefined;
    const tensor = this.#load(entry);
    this.#loaded.set(name, tensor);
    return tensor;
  }

  *entries(): MapIterator<[K, Tensor]> {
    for (const name of this.#names) yield [name, this.get(name)!];
  }

  *keys(): MapIterator<K> {
    yield* this.#names;
  }

  *values(): MapIterator<Tensor> {
    for (const [, tensor] of this.entries()) yield tensor;
  }

  forEach(callback: (value: Tensor, key: K, map: ReadonlyMap<K, Tensor>) => void, thisArg?: unknown): void {
    for (const [name, tensor] of this.entries()) callback.call(thisArg, tensor, name, this);
  }

  [Symbol.iterator](): MapIterator<[K, Tensor]> {
    return this.entries();
  }
}

/**
 * One tensor of a safetensors file held in memory: float32 and int32 data at a 4-byte-aligned
 * offset is a view of `bytes` (no copy), anything else is converted.
 */
export function tensorView(entry: TensorEntry, bytes: Uint8Array, dataOffset: number): Tensor {
  const at = bytes.byteOffset + dataOffset + entry.begin;
  const count = entry.shape.reduce((a, b) => a * b, 1);
  if (at % 4 === 0 && entry.dtype === 'F32') return { shape: [...entry.shape], data: new Float32Array(bytes.buffer, at, count) };
  if (at % 4 === 0 && entry.dtype === 'I32') return { shape: [...entry.shape], data: new Int32Array(bytes.buffer, at, count) };
  return decodeTensorBytes(entry, bytes.subarray(dataOffset + entry.begin, dataOffset + entry.end));
}

/** Reads a whole safetensors file held in memory (traces and small checkpoints). */
export function decodeSafetensors(bytes: Uint8Array): { metadata: Record<string, string>; tensors: Map<string, Tensor> } {
  const headerLength = readHeaderLength(bytes, bytes.length);
  const header = parseHeader(bytes.subarray(8, 8 + headerLength), bytes.length);
  const tensors = new Map<string, Tensor>();
  for (const entry of header.tensors) {
    tensors.set(entry.name, decodeTensorBytes(entry, bytes.subarray(header.dataOffset + entry.begin, header.dataOffset + entry.end)));
  }
  return { metadata: { ...header.metadata }, tensors };
}

/** The header bytes (padded to 8 bytes as HF does) and tensor order of a safetensors file, without its data. */
export function safetensorsHeader(tensors: ReadonlyMap<string, Tensor> | Record<string, Tensor>, metadata: Record<string, string> = {}): { header: Uint8Array; entries: [string, Tensor][]; dataBytes: number } {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  let offset = 0;
  const placed = entries.map(([name, tensor]): PlacedTensor => {
    const begin = offset;
    offset += tensor.data.byteLength;
    return { name, tensor, begin };
  });
  return { header: placedHeader(placed, metadata), entries, dataBytes: offset };
}

/** A tensor and where its bytes begin in the data section. */
export interface PlacedTensor {
  readonly name: string;
  readonly tensor: Tensor;
  readonly begin: number;
}

/**
 * The header (length prefix and JSON) of tensors at the given data offsets, padded with spaces to a
 * multiple of 8 bytes, or to `room` bytes of JSON when it fits in them (a header written into space
 * kept before the data). Undefined when it does not fit in `room`.
 */
export function placedHeader(placed: readonly PlacedTensor[], metadata: Record<string, string>): Uint8Array;
export function placedHeader(placed: readonly PlacedTensor[], metadata: Record<string, string>, room: number): Uint8Array | undefined;
export function placedHeader(placed: readonly PlacedTensor[], metadata: Record<string, string>, room?: number): Uint8Array | undefined {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  for (const { name, tensor, begin } of placed) {
    const count = tensor.shape.reduce((a: number, b: number) => a * b, 1);
    if (count !== tensor.data.length) throw new SafetensorsError(`tensor ${name}: shape [${tensor.shape.join(', ')}] does not match its ${tensor.data.length} values`);
    const dtype = tensor.data instanceof Int32Array ? 'I32' : 'F32';
    header[name] = { dtype, shape: tensor.shape, data_offsets: [begin, begin + tensor.data.byteLength] };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  if (room !== undefined && json.length > room) return undefined;
  const out = new Uint8Array(8 + (room ?? Math.ceil(json.length / 8) * 8)).fill(0x20);
  new DataView(out.buffer).setBigUint64(0, BigInt(out.length - 8), true);
  out.set(json, 8);
  return out;
}

/** Writes float32 / int32 tensors and string metadata as safetensors. */
export function encodeSafetensors(tensors: ReadonlyMap<string, Tensor> | Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const { header, entries, dataBytes } = safetensorsHeader(tensors, metadata);
  const out = new Uint8Array(header.length + dataBytes);
  out.set(header);
  let at = header.length;
  for (const [, tensor] of entries) {
    out.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), at);
    at += tensor.data.byteLength;
  }
  return out;
}

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// ./node.js is the source of `@vectorview/trace/node`; importing it directly keeps one SafetensorsError class.
import { openSafetensorsFile, SafetensorsStream, writeOutputs } from './node.js';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type Tensor } from './safetensors.js';

const FIXTURE_MODEL = new URL('../../../fixtures/gpt2-tiny-hf/model.safetensors', import.meta.url);

/** A safetensors file from a header (object, or raw JSON text/bytes) and data bytes; pads like HF unless told not to. */
function rawFile(header: unknown, data: Uint8Array, options: { pad?: boolean; length?: bigint } = {}): Uint8Array {
  let json =
    header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  if (options.pad ?? true) {
    const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, options.length ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function u16(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint16(i * 2, v, true));
  return out;
}

function sameValues(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Object.is(actual[i], expected[i]), `index ${i}: ${actual[i]} vs ${expected[i]}`).toBe(true);
}

describe('encode → decode', () => {
  it('round-trips F32 and I32 tensors with metadata', () => {
    const f32 = Float32Array.from([1.5, -0, NaN, Infinity, -Infinity, 1e-45, 3.4028234663852886e38, Math.fround(Math.PI)]);
    const i32 = Int32Array.from([0, -1, 2147483647, -2147483648, 12345]);
    const tensors = new Map<string, Tensor>([
      ['blocks.0.hook_resid_pre', { shape: [2, 4], data: f32 }],
      ['tokens', { shape: [5], data: i32 }],
      ['scalar', { shape: [], data: Float32Array.from([7]) }],
      ['empty', { shape: [0, 3], data: new Float32Array(0) }],
    ]);
    const metadata = { config: '{"n_embd": 32}', prompt: 'Ünïcödé ✓ "quoted"\nnewline' };
    const bytes = encodeSafetensors(tensors, metadata);
    const decoded = decodeSafetensors(bytes);
    expect(decoded.metadata).toEqual(metadata);
    expect([...decoded.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      const got = decoded.tensors.get(name)!;
      expect(got.shape, name).toEqual(t.shape);
      expect(got.data.constructor, name).toBe(t.data.constructor);
      sameValues(got.data, t.data);
    }
    // The data section holds exactly the tensors' bytes.
    const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect(bytes.length).toBe(8 + headerLength + f32.byteLength + i32.byteLength + 4);
  });

  it('pads the JSON header with spaces to a multiple of 8 bytes, whatever its length', () => {
    const lengths = new Set<number>();
    for (let n = 1; n <= 16; n++) {
      const bytes = encodeSafetensors({ ['x'.repeat(n)]: { shape: [1], data: Float32Array.from([n]) } }, n % 2 ? { k: 'v'.repeat(n) } : {});
      const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
      expect(headerLength % 8).toBe(0);
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
      expect(text.trimEnd().endsWith('}')).toBe(true);
      expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
      lengths.add(text.trimEnd().length % 8);
      expect(decodeSafetensors(bytes).tensors.get('x'.repeat(n))!.data[0]).toBe(n);
    }
    expect(lengths.size).toBeGreaterThanOrEqual(4); // the loop really exercised different amounts of padding
  });

  it('refuses to encode a tensor whose shape does not match its values', () => {
    expect(() => encodeSafetensors({ bad: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(SafetensorsError);
  });
});

describe('dtype conversion', () => {
  it('converts F16 bit patterns to float32', () => {
    const cases: [number, number][] = [
      [0x3c00, 1],
      [0xc100, -2.5],
      [0x7bff, 65504],
      [0xfbff, -65504],
      [0x0001, 2 ** -24], // smallest subnormal
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x0400, 2 ** -14], // smallest normal
      [0x3555, Math.fround(0.333251953125)],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
      [0x0000, 0],
      [0x8000, -0],
    ];
    const bits = [...cases.map((c) => c[0]), 0x7e00, 0xfe01];
    const file = rawFile({ h: { dtype: 'F16', shape: [bits.length], data_offsets: [0, bits.length * 2] } }, u16(bits));
    const h = decodeSafetensors(file).tensors.get('h')!;
    expect(h.data).toBeInstanceOf(Float32Array);
    expect(h.shape).toEqual([bits.length]);
    sameValues(h.data.subarray(0, cases.length), cases.map((c) => c[1]));
    expect(Number.isNaN(h.data[cases.length])).toBe(true);
    expect(Number.isNaN(h.data[cases.length + 1])).toBe(true);
  });

  it('converts BF16 bit patterns to float32', () => {
    const cases: [number, number][] = [
      [0x3f80, 1],
      [0xc020, -2.5],
      [0x477f, 65280], // 65504 is not representable in bfloat16; 65280 is its truncation
      [0x4780, 65536],
      [0x7f7f, 3.3895313892515355e38], // largest finite bfloat16
      [0x0001, 2 ** -133], // smallest subnormal
      [0x0080, 2 ** -126], // smallest normal
      [0x7f80, Infinity],
      [0xff80, -Infinity],
      [0x8000, -0],
    ];
    const bits = [...cases.map((c) => c[0]), 0x7fc0, 0xffc1];
    const file = rawFile({ b: { dtype: 'BF16', shape: [3, 4], data_offsets: [0, 24] } }, u16(bits));
    const b = decodeSafetensors(file).tensors.get('b')!;
    expect(b.shape).toEqual([3, 4]);
    sameValues(b.data.subarray(0, cases.length), cases.map((c) => c[1]));
    expect(Number.isNaN(b.data[10])).toBe(true);
    expect(Number.isNaN(b.data[11])).toBe(true);
  });

  it('reads F64 as float32 and I64 as int32, at unaligned offsets too', () => {
    const data = new Uint8Array(3 + 32 + 32);
    const view = new DataView(data.buffer);
    const doubles = [1.5, Math.PI, -1e300, 1e-50];
    doubles.forEach((d, i) => view.setFloat64(3 + i * 8, d, true));
    const longs = [0n, -1n, 2147483647n, -2147483648n];
    longs.forEach((l, i) => view.setBigInt64(35 + i * 8, l, true));
    const file = rawFile(
      {
        pad3: { dtype: 'U8', shape: [3], data_offsets: [0, 3] },
        d: { dtype: 'F64', shape: [2, 2], data_offsets: [3, 35] },
        l: { dtype: 'I64', shape: [4], data_offsets: [35, 67] },
      },
      data,
    );
    // U8 is a known dtype this reader does not convert: the whole-file decoder refuses it, naming it.
    expect(() => decodeSafetensors(file)).toThrow(/tensor pad3: dtype U8 is not supported/);
    const withoutPad = rawFile(
      { d: { dtype: 'F64', shape: [2, 2], data_offsets: [3, 35] }, l: { dtype: 'I64', shape: [4], data_offsets: [35, 67] } },
      data,
    );
    const { tensors } = decodeSafetensors(withoutPad);
    const d = tensors.get('d')!;
    expect(d.data).toBeInstanceOf(Float32Array);
    sameValues(d.data, [1.5, Math.fround(Math.PI), -Infinity, 0]);
    const l = tensors.get('l')!;
    expect(l.data).toBeInstanceOf(Int32Array);
    sameValues(l.data, [0, -1, 2147483647, -2147483648]);
  });

  it.each([2147483648n, -2147483649n, 9007199254740993n])('rejects the I64 value %s, outside int32', (value) => {
    const data = new Uint8Array(16);
    new DataView(data.buffer).setBigInt64(8, value, true);
    const file = rawFile({ tokens: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, data);
    expect(() => decodeSafetensors(file)).toThrow(SafetensorsError);
    expect(() => decodeSafetensors(file)).toThrow(new RegExp(`tensor tokens: int64 value ${value} does not fit int32`));
  });
});

// ---------------------------------------------------------------------------------------------------
// Fuzzing: corrupted variants of valid files must decode to something valid or throw SafetensorsError.

/** mulberry32: a small seeded PRNG, so every run sees the same corrupted files. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  return { next, int, pick };
}

interface BaseTensor {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** A small file with every readable dtype, metadata, and tensors packed back to back. */
function syntheticBase() {
  const specs: [string, string, number[], number][] = [
    ['w', 'F32', [2, 3], 4],
    ['ids', 'I32', [4], 4],
    ['half', 'F16', [3], 2],
    ['bf', 'BF16', [2, 2], 2],
    ['dbl', 'F64', [2], 8],
    ['long', 'I64', [2], 8],
    ['scalar', 'F32', [], 4],
  ];
  const header: Record<string, unknown> = { __metadata__: { config: '{"n_embd": 8, "n_head": 2}', note: 'ünï ✓' } };
  const entries: Record<string, BaseTensor> = {};
  let offset = 0;
  for (const [name, dtype, shape, size] of specs) {
    const bytes = shape.reduce((a, b) => a * b, 1) * size;
    entries[name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    header[name] = entries[name];
    offset += bytes;
  }
  const data = new Uint8Array(offset);
  const view = new DataView(data.buffer);
  [1, -2, 3.5, 0.25, 1e-3, -7].forEach((v, i) => view.setFloat32(i * 4, v, true));
  [464, 3139, 286, 4881].forEach((v, i) => view.setInt32(24 + i * 4, v, true));
  [0x3c00, 0xc100, 0x7bff].forEach((v, i) => view.setUint16(40 + i * 2, v, true));
  [0x3f80, 0xc020, 0x4780, 0x0001].forEach((v, i) => view.setUint16(46 + i * 2, v, true));
  [Math.E, -0.5].forEach((v, i) => view.setFloat64(54 + i * 8, v, true));
  [7n, -9n].forEach((v, i) => view.setBigInt64(70 + i * 8, v, true));
  view.setFloat32(86, 42, true);
  return { header, entries, data, bytes: rawFile(header, data) };
}

interface FuzzCase {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Set when the file must be rejected: the message must match it. Null: either outcome is fine. */
  readonly reject: RegExp | null;
  /** The file must decode (corruption only in tensor data). */
  readonly accept?: boolean;
}

const TRUNCATED = /too short|truncated/;
const HEADER_LENGTH = /header length \d+ (exceeds|is too small|runs past the end)/;
const BAD_JSON = /header is not valid UTF-8 JSON|header is not a JSON object|entry is not an object|__metadata__ is not an object/;
const BAD_DTYPE = /(unknown dtype|dtype \w+ is not supported)/;
const BAD_SHAPE = /shape .*(is not a list of non-negative integers|needs \d+ bytes but data_offsets span)/;
const BAD_OFFSETS = /data_offsets .*(is not a pair of non-negative integers|end before they begin)|lie outside the \d+-byte data section|overlap in the data section|needs \d+ bytes but data_offsets span/;
const BAD_METADATA = /__metadata__(\.\S+ is not a string| is not an object)/;

function fuzzCases(): FuzzCase[] {
  const rng = prng(20240611);
  const base = syntheticBase();
  const fixture = new Uint8Array(readFileSync(FIXTURE_MODEL));
  const cases: FuzzCase[] = [];
  const baseJsonLength = Number(new DataView(base.bytes.buffer).getBigUint64(0, true));
  const names = Object.keys(base.entries);
  const clone = () => structuredClone(base.header) as Record<string, unknown> & { __metadata__: Record<string, unknown> };
  /** Serialises a mutated header; the string "__RAW:x__" becomes the raw JSON text x (for 1e400, -0, …). */
  const withHeader = (header: unknown) => rawFile(JSON.stringify(header).replace(/"__RAW:([^"]*)__"/g, '$1'), base.data);

  // Truncations of the synthetic file and of the real checkpoint.
  for (let i = 0; i < 40; i++) {
    const cut = rng.int(0, base.bytes.length - 1);
    cases.push({ name: `synthetic truncated to ${cut} bytes`, bytes: base.bytes.slice(0, cut), reject: TRUNCATED });
  }
  const fixtureHeader = 8 + Number(new DataView(fixture.buffer, fixture.byteOffset).getBigUint64(0, true));
  const fixtureCuts = [0, 1, 7, 8, 9, fixtureHeader - 1, fixtureHeader, fixtureHeader + 1, fixture.length - 1];
  for (let i = 0; i < 16; i++) fixtureCuts.push(rng.int(0, fixture.length - 1));
  for (const cut of fixtureCuts) cases.push({ name: `fixture truncated to ${cut} bytes`, bytes: fixture.subarray(0, cut), reject: TRUNCATED });

  // Random byte flips in the 8-byte header length.
  for (let i = 0; i < 40; i++) {
    const bytes = base.bytes.slice();
    const at = rng.int(0, 7);
    bytes[at]! ^= rng.int(1, 255);
    cases.push({ name: `length byte ${at} flipped`, bytes, reject: null });
  }
  // The header length set to something impossible.
  const lengths: bigint[] = [0n, 1n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 32n, 100_000_001n, 1_000_000_000n, BigInt(base.bytes.length - 7)];
  for (let i = 0; i < 12; i++) lengths.push(BigInt(baseJsonLength + base.data.length + rng.int(1, 5000)));
  for (let i = 0; i < 4; i++) lengths.push(BigInt(rng.int(100_000_001, 2 ** 52)));
  for (const length of lengths) {
    const bytes = base.bytes.slice();
    new DataView(bytes.buffer).setBigUint64(0, length, true);
    cases.push({ name: `header length ${length}`, bytes, reject: HEADER_LENGTH });
  }
  // Same for the fixture (past EOF by one byte).
  {
    const bytes = fixture.slice(0, 4096);
    cases.push({ name: 'fixture header only (data missing)', bytes, reject: TRUNCATED });
  }

  // Random byte flips inside the JSON header: anything may happen, except a foreign error type.
  for (let i = 0; i < 80; i++) {
    const bytes = base.bytes.slice();
    const flips = rng.int(1, 3);
    for (let f = 0; f < flips; f++) bytes[8 + rng.int(0, baseJsonLength - 1)] = rng.pick([rng.int(0, 255), 0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x2d, 0x30, 0x39]);
    cases.push({ name: `header bytes flipped (${i})`, bytes, reject: null });
  }

  // The JSON replaced by garbage, non-objects, broken or non-UTF-8 text.
  const replacements: (string | Uint8Array)[] = [
    '[]',
    '[1, 2, 3]',
    'null',
    '42',
    '"a string"',
    'true',
    '{',
    '{"w": ',
    '{"w": {"dtype": "F32"',
    'NaN',
    '{"w": [1, 2]}',
    '{"w": "F32"}',
    '{"w": null}',
    '{"__metadata__": "x"}',
    '{"__metadata__": ["a"]}',
    '{"__metadata__": null}',
    '{} {}',
    "{'w': 1}",
    '['.repeat(20000) + ']'.repeat(20000),
    '{"a":'.repeat(5000) + '1' + '}'.repeat(5000),
    Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), // {"\xff\xfe":1}
    Uint8Array.from([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d]), // an encoded lone surrogate
    Uint8Array.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]), // an overlong encoding
    Uint8Array.from([0x7b, 0x22, 0x77, 0x22, 0x3a, 0x7b, 0x22, 0xe2, 0x82]), // cut inside a character
  ];
  for (let i = 0; i < 16; i++) {
    const garbage = Uint8Array.from({ length: rng.int(1, 300) }, () => rng.int(0, 255));
    garbage[0] = rng.int(0x80, 0xff); // never a valid start of JSON
    replacements.push(garbage);
  }
  for (const [i, json] of replacements.entries()) {
    // A nested object is valid JSON: its tensor entry then lacks a dtype.
    cases.push({ name: `JSON replaced (${i})`, bytes: rawFile(json, base.data), reject: new RegExp(`${BAD_JSON.source}|unknown dtype undefined`) });
  }

  // Unknown or unconvertible dtypes.
  const unknownDtypes: unknown[] = ['U16', 'U32', 'U64', 'F8_E4M3', 'F8_E5M2', 'float32', 'f32', '', 'I128', 'toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', 5, null, true, [], {}];
  for (let i = 0; i < 40; i++) {
    const header = clone();
    const victim = rng.pick(names);
    (header[victim] as BaseTensor).dtype = rng.pick(unknownDtypes) as string;
    cases.push({ name: `dtype of ${victim} → ${JSON.stringify((header[victim] as BaseTensor).dtype)}`, bytes: withHeader(header), reject: BAD_DTYPE });
  }
  // Known dtypes this reader does not convert, with a shape that matches the byte range.
  for (const [dtype, size] of [['I16', 2], ['I8', 1], ['U8', 1], ['BOOL', 1]] as const) {
    const header = clone();
    const entry = header['w'] as BaseTensor;
    entry.dtype = dtype;
    entry.shape = [24 / size];
    cases.push({ name: `dtype of w → ${dtype}`, bytes: withHeader(header), reject: BAD_DTYPE });
  }

  // Shapes that do not describe the byte range.
  const multi = names.filter((n) => base.entries[n]!.shape.reduce((a, b) => a * b, 1) > 1);
  for (let i = 0; i < 50; i++) {
    const header = clone();
    const victim = rng.pick(multi);
    const entry = header[victim] as BaseTensor;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const options: unknown[] = [
      [count + rng.int(1, 9)],
      [rng.int(2, 5), count],
      [],
      [0],
      [-1, count],
      [count, -1],
      [count + 0.5],
      [String(count)],
      null,
      'abc',
      count,
      [count, null],
      [2 ** 53, 2 ** 53],
      ['__RAW:1e400__'],
      ['__RAW:1e20__'],
      [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
    ];
    (entry as { shape: unknown }).shape = rng.pick(options);
    cases.push({ name: `shape of ${victim} → ${JSON.stringify(entry.shape)}`, bytes: withHeader(header), reject: BAD_SHAPE });
  }

  // Broken data_offsets: negative, fractional, reversed, outside the file, overlapping, malformed.
  const dataSize = base.data.length;
  for (let i = 0; i < 50; i++) {
    const header = clone();
    const victim = rng.pick(names);
    const entry = header[victim] as BaseTensor;
    const [b, e] = entry.data_offsets;
    const span = e - b;
    let moved = rng.int(0, dataSize - span);
    if (moved === b) moved = b === 0 ? 1 : b - 1;
    const options: unknown[] = [
      [-span, 0],
      [b - 1, e - 1].map((x) => (x < 0 ? -4 : x)),
      [b + 0.5, e + 0.5],
      [e, b],
      [dataSize, dataSize + span],
      [dataSize + rng.int(1, 100), dataSize + rng.int(101, 1000)],
      [b, dataSize + 1],
      [moved, moved + span], // overlaps a neighbour
      [b],
      [b, e, e],
      [],
      null,
      'x',
      [String(b), String(e)],
      [b, null],
      [2 ** 60, 2 ** 60 + span],
      [b, '__RAW:1e400__'],
      ['__RAW:-0.5__', e],
    ];
    (entry as { data_offsets: unknown }).data_offsets = rng.pick(options);
    cases.push({ name: `data_offsets of ${victim} → ${JSON.stringify(entry.data_offsets)}`, bytes: withHeader(header), reject: BAD_OFFSETS });
  }
  // Two tensors on the same bytes (same size, so only the overlap check can see it).
  {
    const header = clone();
    (header['ids'] as BaseTensor).dtype = 'F32';
    (header['ids'] as BaseTensor).shape = [6];
    (header['ids'] as BaseTensor).data_offsets = [0, 24];
    cases.push({ name: 'ids aliases w', bytes: withHeader(header), reject: /tensors \w+ and \w+ overlap/ });
  }

  // __metadata__ with values that are not strings, or not an object at all.
  const metaValues: unknown[] = [1, 1.5, null, true, false, {}, { a: 'b' }, [], ['x'], '__RAW:1e400__'];
  for (let i = 0; i < 20; i++) {
    const header = clone();
    if (i < 4) (header as Record<string, unknown>)['__metadata__'] = rng.pick([[], 'x', null, 5, ['a', 'b'], true]);
    else header.__metadata__[rng.pick(['config', 'note', 'extra'])] = rng.pick(metaValues);
    cases.push({ name: `__metadata__ → ${JSON.stringify(header.__metadata__)}`, bytes: withHeader(header), reject: BAD_METADATA });
  }

  // Flips in the data of float/int32 tensors are harmless: the file must still decode.
  const harmless = names.filter((n) => n !== 'long');
  for (let i = 0; i < 30; i++) {
    const bytes = base.bytes.slice();
    const victim = base.entries[rng.pick(harmless)]!;
    const [b, e] = victim.data_offsets;
    bytes[8 + baseJsonLength + rng.int(b, e - 1)]! ^= rng.int(1, 255);
    cases.push({ name: `data byte flipped (${i})`, bytes, reject: null, accept: true });
  }
  return cases;
}

type Outcome = { ok: true; tensors: Map<string, Tensor>; metadata: Record<string, string> } | { ok: false; error: unknown };

function attempt(bytes: Uint8Array): Outcome {
  try {
    const { tensors, metadata } = decodeSafetensors(bytes);
    return { ok: true, tensors, metadata };
  } catch (error) {
    return { ok: false, error };
  }
}

function checkDecoded(outcome: Extract<Outcome, { ok: true }>, name: string) {
  for (const value of Object.values(outcome.metadata)) expect(typeof value, name).toBe('string');
  for (const [key, t] of outcome.tensors) {
    expect(t.shape.every((d) => Number.isSafeInteger(d) && d >= 0), `${name}: ${key}`).toBe(true);
    expect(t.data.length, `${name}: ${key}`).toBe(t.shape.reduce((a, b) => a * b, 1));
  }
}

describe('fuzzing the decoder with corrupted files', () => {
  const cases = fuzzCases();
  const dir = mkdtempSync(path.join(tmpdir(), 'vv-safetensors-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generates enough variants of every kind', () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
    expect(cases.filter((c) => c.reject).length).toBeGreaterThanOrEqual(200);
    expect(new Set(cases.map((c) => Buffer.from(c.bytes).toString('base64'))).size).toBeGreaterThan(cases.length * 0.85);
  });

  it('decodes each variant or throws SafetensorsError with a one-line message naming the problem', () => {
    let rejected = 0;
    let accepted = 0;
    for (const c of cases) {
      const start = performance.now();
      const outcome = attempt(c.bytes);
      expect(performance.now() - start, `${c.name} took too long`).toBeLessThan(2000);
      if (outcome.ok) {
        expect(c.reject, `${c.name} should have been rejected`).toBeNull();
        checkDecoded(outcome, c.name);
        accepted++;
      } else {
        const error = outcome.error;
        expect(error, `${c.name}: ${String(error)}`).toBeInstanceOf(SafetensorsError);
        expect(c.accept, `${c.name} should have decoded: ${String(error)}`).toBeFalsy();
        const message = (error as Error).message;
        expect(message, c.name).not.toContain('\n');
        expect(message.length, c.name).toBeGreaterThan(10);
        if (c.reject) expect(message, c.name).toMatch(c.reject);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThanOrEqual(cases.filter((c) => c.reject).length);
    expect(accepted).toBeGreaterThanOrEqual(30);
  });

  it('readInto and readIntoSync read any byte range of a tensor into the caller\'s buffer, and refuse one outside it', async () => {
    const file = path.join(dir, 'read-into.safetensors');
    const values = Float32Array.from({ length: 10 }, (_, i) => i + 0.5);
    writeFileSync(file, encodeSafetensors(new Map([['a', { shape: [2], data: Float32Array.of(7, 8) }], ['b', { shape: [10], data: values }]])));
    const opened = await openSafetensorsFile(file);
    try {
      const entry = opened.header.tensors.find((t) => t.name === 'b')!;
      const into = new Float32Array(4);
      await Promise.all([opened.readInto(entry, new Uint8Array(into.buffer, 0, 8), 12), opened.readInto(entry, new Uint8Array(into.buffer, 8, 8), 20)]);
      expect(Array.from(into)).toEqual([3.5, 4.5, 5.5, 6.5]);
      await expect(opened.readInto(entry, new Uint8Array(8), 36)).rejects.toThrow(/tensor b has 40 bytes; bytes 36…44 are outside it/);
      opened.readIntoSync(entry, new Uint8Array(into.buffer, 4, 8), 0);
      expect(Array.from(into)).toEqual([3.5, 0.5, 1.5, 6.5]);
      expect(() => opened.readIntoSync(entry, new Uint8Array(8), 36)).toThrow(/tensor b has 40 bytes; bytes 36…44 are outside it/);
    } finally {
      await opened.close();
    }
  });

  it('openSafetensorsFile (@vectorview/trace/node) agrees on a subset written to disk', async () => {
    const subset = cases.filter((_, i) => i % 6 === 0);
    expect(subset.length).toBeGreaterThanOrEqual(50);
    for (const [i, c] of subset.entries()) {
      const file = path.join(dir, `case-${i}.safetensors`);
      writeFileSync(file, c.bytes);
      const memory = attempt(c.bytes);
      let nodeError: unknown;
      const tensors = new Map<string, Tensor>();
      try {
        const opened = await openSafetensorsFile(file);
        try {
          for (const entry of opened.header.tensors) tensors.set(entry.name, await opened.read(entry));
        } finally {
          await opened.close();
        }
      } catch (error) {
        nodeError = error;
      }
      if (memory.ok) {
        expect(nodeError, `${c.name}: ${String(nodeError)}`).toBeUndefined();
        expect([...tensors.keys()].sort(), c.name).toEqual([...memory.tensors.keys()].sort());
        for (const [name, t] of tensors) sameValues(t.data, memory.tensors.get(name)!.data);
      } else {
        expect(nodeError, `${c.name}: ${String(nodeError)}`).toBeInstanceOf(SafetensorsError);
        const message = (nodeError as Error).message;
        expect(message, c.name).not.toContain('\n');
        expect(message.endsWith((memory.error as Error).message), `${c.name}: ${message}`).toBe(true);
        if (c.reject) expect(message, c.name).toMatch(c.reject);
      }
    }
  });

  it('names the path when a file is missing or is a directory', async () => {
    await expect(openSafetensorsFile(path.join(dir, 'absent.safetensors'))).rejects.toThrow(/absent\.safetensors: no such file/);
    await expect(openSafetensorsFile(dir)).rejects.toThrow(SafetensorsError);
    await expect(openSafetensorsFile(dir)).rejects.toThrow(/is (not a regular file|a directory)/);
  });
});

describe('SafetensorsStream (@vectorview/trace/node)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vv-stream-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const tensor = (n: number, at: number): Tensor => ({ shape: [n], data: Float32Array.from({ length: n }, (_, i) => at + i / 4) });
  const all = new Map<string, Tensor>([
    ['early', tensor(5, 1)],
    ['during', tensor(300, -7)],
    ['ids', { shape: [3], data: Int32Array.of(4, 5, 6) }],
    ['late', tensor(2, 9)],
  ]);

  /** Streams `all`: one tensor before the file opens, one while it is open, the rest at finish. */
  async function streamed(name: string, room: number): Promise<Uint8Array> {
    const stream = new SafetensorsStream(room);
    stream.add('early', all.get('early')!);
    const file = path.join(dir, name);
    const writing = writeOutputs([{ target: { flag: '--out', path: file }, data: stream.writer }]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    stream.add('during', all.get('during')!);
    stream.finish(all, { format: 'test' });
    await writing;
    return readFileSync(file);
  }

  it('writes each tensor as it is added, the rest at finish, and the header into the room kept for it', async () => {
    const bytes = await streamed('roomy.safetensors', 4096);
    expect(Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true))).toBe(4096);
    const decoded = decodeSafetensors(bytes);
    expect(decoded.metadata).toEqual({ format: 'test' });
    expect([...decoded.tensors.keys()]).toEqual(['early', 'during', 'ids', 'late']);
    for (const [name, t] of all) {
      expect(decoded.tensors.get(name)!.shape, name).toEqual(t.shape);
      sameValues(decoded.tensors.get(name)!.data, t.data);
    }
  });

  it('rewrites the file when the header outgrows its room, with the same contents', async () => {
    const bytes = await streamed('cramped.safetensors', 16);
    const decoded = decodeSafetensors(bytes);
    expect(Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true))).toBeGreaterThan(16);
    for (const [name, t] of all) sameValues(decoded.tensors.get(name)!.data, t.data);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('an abort fails the output with its reason and leaves no file; finishing with another tensor under a written name is refused', async () => {
    const stream = new SafetensorsStream(1024);
    const file = path.join(dir, 'aborted.safetensors');
    const writing = writeOutputs([{ target: { flag: '--out', path: file }, data: stream.writer }]);
    stream.add('during', all.get('during')!);
    stream.abort(new Error('the pass failed'));
    await expect(writing).rejects.toThrow(/the pass failed/);
    expect(existsSync(file)).toBe(false);

    const other = new SafetensorsStream(1024);
    other.add('early', tensor(5, 1));
    expect(() => other.finish(all)).toThrow(/tensor early was written but is not the one finishing the file/);
    expect(() => other.add('early', tensor(5, 1))).toThrow(/added twice/);
  });
});

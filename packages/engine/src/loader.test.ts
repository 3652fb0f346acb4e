import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, type Tensor } from '@vectorview/trace';
import { deviceCopy, fileTensor } from './backed-weights.js';
import { Gpt2Model } from './model.js';
import { initNodeBackend, loadModel, loadWeights } from './node.js';
import type { Gpt2Weights } from './weights.js';
import { FIXTURE_DIR } from './test-support/fixture.js';

const PROMPT = [464, 3139, 286, 4881, 318];
const configText = readFileSync(path.join(FIXTURE_DIR, 'config.json'), 'utf8');
const fixtureConfig = JSON.parse(configText) as Record<string, unknown>;
const fixture = decodeSafetensors(readFileSync(path.join(FIXTURE_DIR, 'model.safetensors')));

let root: string;
let reference: Gpt2Weights;
let referenceLogits: Float32Array;

/** Every weight array with a readable name, in a fixed order. */
function flatten(w: Gpt2Weights): [string, Float32Array][] {
  const out: [string, Float32Array][] = [
    ['wte', w.wte],
    ['wpe', w.wpe],
    ['lnF.w', w.lnF.w],
    ['lnF.b', w.lnF.b],
  ];
  w.layers.forEach((l, i) => {
    for (const [k, v] of Object.entries(l)) {
      if (v instanceof Float32Array) out.push([`${i}.${k}`, v]);
      else for (const [k2, v2] of Object.entries(v as Record<string, Float32Array>)) out.push([`${i}.${k}.${k2}`, v2]);
    }
  });
  return out;
}

function expectSameWeights(actual: Gpt2Weights, expected: Gpt2Weights) {
  const a = flatten(actual);
  const e = flatten(expected);
  expect(a.map(([n]) => n)).toEqual(e.map(([n]) => n));
  a.forEach(([name, values], i) => {
    const other = e[i]![1];
    expect(values.length, name).toBe(other.length);
    expect(Buffer.from(values.buffer, values.byteOffset, values.byteLength).equals(Buffer.from(other.buffer, other.byteOffset, other.byteLength)), name).toBe(true);
  });
}

function lastLogits(weights: Gpt2Weights): Float32Array {
  const model = new Gpt2Model(weights);
  try {
    const logits = model.forward(PROMPT, { mode: 'batched', unembed: 'last' }).tensors.get('logits')!;
    expect(logits.shape).toEqual([1, 50257]);
    return logits.data as Float32Array;
  } finally {
    model.dispose();
  }
}

/** A fresh folder holding model.safetensors (+ config.json unless `config` is null). */
function checkpoint(name: string, bytes: Uint8Array, config: unknown = fixtureConfig, file = 'model.safetensors'): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, file), bytes);
  if (config !== null) writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return dir;
}

/** The fixture's tensors after `edit` (which may rename, add or delete), re-encoded as F32. */
function variant(edit: (tensors: Map<string, Tensor>) => void, metadata: Record<string, string> = {}): Uint8Array {
  const tensors = new Map(fixture.tensors);
  edit(tensors);
  return encodeSafetensors(tensors, metadata);
}

interface RawEntry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

/** Writes any dtype: encodeSafetensors only knows F32 and I32. */
function rawSafetensors(entries: readonly RawEntry[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = Object.keys(metadata).length ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.bytes.length] };
    offset += e.bytes.length;
  }
  const text = new TextEncoder().encode(JSON.stringify(header));
  const json = new Uint8Array(Math.ceil(text.length / 8) * 8).fill(0x20);
  json.set(text);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const e of entries) {
    out.set(e.bytes, at);
    at += e.bytes.length;
  }
  return out;
}


/** float32 → IEEE half bits, rounding to nearest even. */
function toHalf(value: number): number {
  const x = new Uint32Array(Float32Array.from([value]).buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = ((x >>> 23) & 0xff) - 127 + 15;
  let mantissa = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  if (exponent >= 0x1f) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - exponent;
    let h = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = (exponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return sign | h;
}

function f16Bytes(data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(data.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setUint16(i * 2, toHalf(data[i]!), true);
  return out;
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'vv-loader-'));
  await initNodeBackend();
  reference = await loadWeights(FIXTURE_DIR);
  referenceLogits = lastLogits(reference);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('loading HF checkpoint variants', () => {
  it('the fixture checkpoint loads with the config and the weights it holds', () => {
    expect(reference.config).toMatchObject({ name: 'gpt2-tiny-hf', n_vocab: 50257, n_context: 64, d_model: 32, n_head: 4, d_mlp: 128, n_layer: 2, tied_embeddings: true });
    expect(reference.lmHead).toBeUndefined();
    expect(Array.from(reference.layers[1]!.attnW.subarray(0, 8))).toEqual(Array.from(fixture.tensors.get('transformer.h.1.attn.c_attn.weight')!.data.subarray(0, 8)));
  });

  it('loadModel reads W_E and the layers\' matrices onto the backend, with the same values and logits as plain arrays', async () => {
    const model = await loadModel(FIXTURE_DIR);
    const D = reference.config.d_model;
    try {
      expect(['attnW', 'projW', 'fcW', 'fcProjW'].map((key) => deviceCopy(model.weights.layers[0]!, key)?.shape)).toEqual([[D, 3 * D], [D, D], [D, 4 * D], [4 * D, D]]);
      expect(deviceCopy(model.weights, 'wte')?.shape).toEqual([50257, D]);
      expectSameWeights(model.weights, reference);
      const logits = model.forward(PROMPT, { mode: 'batched', unembed: 'last' }).tensors.get('logits')!.data;
      expect(Buffer.from(logits.buffer).equals(Buffer.from(referenceLogits.buffer))).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('placement \'file\' leaves W_E and the layers\' matrices in the checkpoint: the same values and logits, read as the pass needs them', async () => {
    const model = await loadModel(FIXTURE_DIR, { placement: 'file' });
    try {
      expect(fileTensor(model.weights.layers[1]!, 'fcW')?.shape).toEqual([32, 128]);
      expect(fileTensor(model.weights, 'wte')?.shape).toEqual([50257, 32]);
      expect(deviceCopy(model.weights, 'wte')).toBeUndefined();
      for (const mode of ['batched', 'vectorwise'] as const) {
        const logits = model.forward(PROMPT, { mode, unembed: 'last' }).tensors.get('logits')!.data;
        expect(Math.max(...logits.map((v, i) => Math.abs(v - referenceLogits[i]!))), mode).toBeLessThan(1e-5);
      }
      expectSameWeights(model.weights, reference);
    } finally {
      model.dispose();
    }
  });

  it('placement \'file\' names a non-finite weight when a pass reads it, and streams an untied lm_head', async () => {
    const nan = checkpoint('file-nan', variant((t) => t.set('transformer.h.1.mlp.c_proj.weight', { shape: [128, 32], data: new Float32Array(128 * 32).fill(NaN, 40, 41) })));
    const model = await loadModel(nan, { placement: 'file' });
    try {
      expect(() => model.forward(PROMPT)).toThrow(/tensor transformer\.h\.1\.mlp\.c_proj\.weight holds NaN at element 40; weights must be finite/);
    } finally {
      model.dispose();
    }
    const zeros: Tensor = { shape: [50257, 32], data: new Float32Array(50257 * 32) };
    const untied = await loadModel(checkpoint('file-untied', variant((t) => t.set('lm_head.weight', zeros)), { ...fixtureConfig, tie_word_embeddings: false }), { placement: 'file' });
    try {
      expect(fileTensor(untied.weights, 'lmHead')?.shape).toEqual([50257, 32]);
      expect(untied.forward(PROMPT).tensors.get('logits')!.data.every((v) => v === 0)).toBe(true);
    } finally {
      untied.dispose();
    }
  });

  // A pass reads these unchecked and finds them through its residual stream or its logits (FileTensor).
  it.each([
    ['a key column of c_attn', 'transformer.h.0.attn.c_attn.weight', 37, -Infinity],
    ['c_fc', 'transformer.h.1.mlp.c_fc.weight', 1000, Infinity],
    ['a row of W_E that no prompt token uses', 'transformer.wte.weight', 7 * 32 + 3, NaN],
  ])('placement \'file\' names %s holding a non-finite value, in both modes', async (_what, key, element, value) => {
    const edited = variant((t) => {
      const data = Float32Array.from(t.get(key)!.data);
      data[element] = value;
      t.set(key, { shape: t.get(key)!.shape, data });
    });
    const model = await loadModel(checkpoint(`file-bad-${element}`, edited), { placement: 'file' });
    try {
      for (const mode of ['vectorwise', 'batched'] as const) {
        expect(() => model.forward(PROMPT, { mode }), mode).toThrow(new RegExp(`tensor ${key.replaceAll('.', '\\.')} holds ${value} at element ${element}; weights must be finite`));
      }
    } finally {
      model.dispose();
    }
  });

  it('keys without the `transformer.` prefix load the same weights', async () => {
    const bytes = variant((t) => {
      for (const [k, v] of [...t]) {
        t.delete(k);
        t.set(k.replace(/^transformer\./, ''), v);
      }
    });
    expect(decodeSafetensors(bytes).tensors.has('h.0.ln_1.weight')).toBe(true);
    expectSameWeights(await loadWeights(checkpoint('no-prefix', bytes)), reference);
  });

  it('ignores the attn.bias [1, 1, 64, 64] and attn.masked_bias buffers, in F32 or BOOL', async () => {
    const mask = Float32Array.from({ length: 64 * 64 }, (_, i) => (i % 64 <= Math.floor(i / 64) ? 1 : 0));
    const f32 = variant((t) => {
      for (let l = 0; l < 2; l++) {
        t.set(`transformer.h.${l}.attn.bias`, { shape: [1, 1, 64, 64], data: mask });
        t.set(`transformer.h.${l}.attn.masked_bias`, { shape: [], data: Float32Array.from([-1e4]) });
      }
    });
    expectSameWeights(await loadWeights(checkpoint('buffers-f32', f32)), reference);

    const entries: RawEntry[] = [...fixture.tensors].map(([name, t]) => ({ name: name.replace(/^transformer\./, ''), dtype: 'F32', shape: t.shape, bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) }));
    for (let l = 0; l < 2; l++) {
      entries.push({ name: `h.${l}.attn.bias`, dtype: 'BOOL', shape: [1, 1, 64, 64], bytes: Uint8Array.from(mask) });
      entries.push({ name: `h.${l}.attn.masked_bias`, dtype: 'F16', shape: [], bytes: f16Bytes([-1e4]) });
    }
    expectSameWeights(await loadWeights(checkpoint('buffers-bool', rawSafetensors(entries))), reference);
  });

  it('an lm_head.weight is ignored while tie_word_embeddings is true and used when it is false', async () => {
    const zeros: Tensor = { shape: [50257, 32], data: new Float32Array(50257 * 32) };
    const bytes = variant((t) => t.set('lm_head.weight', zeros));
    const tied = await loadWeights(checkpoint('lm-head-tied', bytes));
    expect(tied.lmHead).toBeUndefined();
    expectSameWeights(tied, reference);

    const untied = await loadWeights(checkpoint('lm-head-untied', bytes, { ...fixtureConfig, tie_word_embeddings: false }));
    expect(untied.config.tied_embeddings).toBe(false);
    expect(untied.lmHead).toBeDefined();
    expect(untied.lmHead!.length).toBe(50257 * 32);
    expect(untied.lmHead!.every((v) => v === 0)).toBe(true);
    // An all-zero unembedding gives all-zero logits: the forward pass really reads lm_head.
    expect(lastLogits(untied).every((v) => v === 0)).toBe(true);
    expect(referenceLogits.some((v) => v !== 0)).toBe(true);

    const wrong = variant((t) => t.set('lm_head.weight', { shape: [32, 50257], data: zeros.data }));
    await expect(loadWeights(checkpoint('lm-head-wrong', wrong, { ...fixtureConfig, tie_word_embeddings: false }))).rejects.toThrow(
      /tensor lm_head\.weight has shape \[32, 50257\], expected \[50257, 32\]/,
    );
  });

  it('an F16 copy loads and its logits stay within 5e-2 of the F32 ones', async () => {
    const entries: RawEntry[] = [...fixture.tensors].map(([name, t]) => ({ name, dtype: 'F16', shape: t.shape, bytes: f16Bytes(t.data) }));
    const dir = checkpoint('f16', rawSafetensors(entries));
    const half = await loadWeights(dir);
    const flat = flatten(half);
    flatten(reference).forEach(([name, values], i) => {
      const got = flat[i]![1];
      for (let j = 0; j < values.length; j++) {
        const tolerance = Math.max(Math.abs(values[j]!) * 2 ** -11, 2 ** -24);
        if (!(Math.abs(got[j]! - values[j]!) <= tolerance)) expect.fail(`${name}[${j}]: ${got[j]} vs ${values[j]}`);
      }
    });
    const ref = flatten(reference);
    expect(flat.some(([, values], i) => values.some((v, j) => v !== ref[i]![1][j]))).toBe(true); // F16 really rounded something
    const logits = lastLogits(half);
    let worst = 0;
    for (let i = 0; i < logits.length; i++) worst = Math.max(worst, Math.abs(logits[i]! - referenceLogits[i]!));
    expect(worst).toBeLessThan(5e-2);
    expect(worst).toBeGreaterThan(0);
  });

  it('a .safetensors file loads with config.json beside it', async () => {
    const dir = checkpoint('beside', readFileSync(path.join(FIXTURE_DIR, 'model.safetensors')), fixtureConfig, 'weights.safetensors');
    const weights = await loadWeights(path.join(dir, 'weights.safetensors'));
    expect(weights.config.name).toBe('beside');
    expectSameWeights(weights, reference);
  });

  it('a lone .safetensors file loads with the config.json from its metadata', async () => {
    const dir = path.join(root, 'lone');
    mkdirSync(dir);
    copyFileSync(path.join(FIXTURE_DIR, 'model.safetensors'), path.join(dir, 'tiny.safetensors'));
    const weights = await loadWeights(path.join(dir, 'tiny.safetensors'));
    expect(weights.config.name).toBe('tiny');
    expect(weights.config).toEqual({ ...reference.config, name: 'tiny' });
    expectSameWeights(weights, reference);
  });
});

describe('loader errors', () => {
  it('a missing tensor is named, with the shape it should have', async () => {
    const bytes = variant((t) => t.delete('transformer.h.1.mlp.c_fc.bias'));
    await expect(loadWeights(checkpoint('missing-tensor', bytes))).rejects.toThrow(/missing tensor h\.1\.mlp\.c_fc\.bias \(expected shape \[128\]\)/);
  });

  it('a wrong shape names the tensor, its shape and the expected one', async () => {
    const bytes = variant((t) => {
      const w = t.get('transformer.h.0.attn.c_attn.weight')!;
      t.set('transformer.h.0.attn.c_attn.weight', { shape: [96, 32], data: w.data });
    });
    await expect(loadWeights(checkpoint('wrong-shape', bytes))).rejects.toThrow(/tensor h\.0\.attn\.c_attn\.weight has shape \[96, 32\], expected \[32, 96\]/);
  });

  it('an integer tensor where floats belong is refused', async () => {
    const bytes = variant((t) => t.set('transformer.ln_f.bias', { shape: [32], data: new Int32Array(32) }));
    await expect(loadWeights(checkpoint('int-weights', bytes))).rejects.toThrow(/tensor ln_f\.bias is not a floating-point tensor/);
  });

  it('activation_function "relu" is rejected clearly', async () => {
    const dir = checkpoint('relu', readFileSync(path.join(FIXTURE_DIR, 'model.safetensors')), { ...fixtureConfig, activation_function: 'relu' });
    await expect(loadWeights(dir)).rejects.toThrow(/activation "relu" is not supported: GPT-2 uses gelu_new/);
  });

  it('random:nope lists the valid names', async () => {
    await expect(loadWeights('random:nope')).rejects.toThrow(/unknown model random:nope: random models are random:gpt2, random:gpt2-medium, random:gpt2-large, random:gpt2-xl, random:tiny/);
  });

  it('a missing path says not found', async () => {
    await expect(loadWeights(path.join(root, 'does-not-exist'))).rejects.toThrow(/model .*does-not-exist not found: give a checkpoint directory, a \.safetensors file, or random:NAME/);
  });

  it('a directory without config.json or model.safetensors says which is missing', async () => {
    const noConfig = checkpoint('no-config', readFileSync(path.join(FIXTURE_DIR, 'model.safetensors')), null);
    await expect(loadWeights(noConfig)).rejects.toThrow(/no-config has no config\.json/);
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    await expect(loadWeights(empty)).rejects.toThrow(/empty has no model\.safetensors/);
  });

  it('a lone file without any config, or with a config that is not JSON, is refused clearly', async () => {
    const bare = checkpoint('bare', variant(() => {}), null, 'bare.safetensors');
    await expect(loadWeights(path.join(bare, 'bare.safetensors'))).rejects.toThrow(/bare\.safetensors has no config\.json beside it and none in its metadata/);
    const broken = checkpoint('broken-meta', variant(() => {}, { 'config.json': '{"n_embd": 32,' }), null, 'broken.safetensors');
    await expect(loadWeights(path.join(broken, 'broken.safetensors'))).rejects.toThrow(/broken\.safetensors: the config in its metadata is not valid JSON/);
    const badBeside = checkpoint('bad-beside', readFileSync(path.join(FIXTURE_DIR, 'model.safetensors')), '{ not json');
    await expect(loadWeights(badBeside)).rejects.toThrow(/cannot read .*config\.json: not valid JSON/);
  });
});

/**
 * The renderer draws activations computed elsewhere: a safetensors file written the way
 * docs/trace-format.md's Python writes one from TransformerLens (hook-named tensors, the config and
 * token strings as metadata, the ids as an I32 `tokens` tensor), read back with readTraceFile alone.
 * The activations are HuggingFace's, from fixtures/gpt2-tiny-hf (prompt p1, "The capital of France is").
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decode as decodeIds } from 'gpt-tokenizer/encoding/r50k_base';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeNextToken, decodeSafetensors, DEFAULT_DECODE, encodeSafetensors, type Tensor, type Trace } from '@vectorview/trace';
import { readTraceFile } from '@vectorview/trace/node';
import { POSTER_STAGE_IDS, renderPoster, type Poster } from './index.js';
import { fmtProb } from './marks/attention.js';
import { all, parseSvg, textOf } from './test-support/xml.js';

const FIXTURE = new URL('../../../fixtures/gpt2-tiny-hf/', import.meta.url);
const PROMPT = 1;

let dir: string;
let file: string;
let source: Map<string, Tensor>;
let ids: number[];
let trace: Trace;
let poster: Poster;

beforeAll(async () => {
  const expected = decodeSafetensors(readFileSync(new URL('expected.safetensors', FIXTURE)));
  ids = (JSON.parse(expected.metadata['prompts']!) as number[][])[PROMPT]!;
  // What the Python in docs/trace-format.md writes: cache tensors without the batch dimension, logits, tokens (int32).
  source = new Map();
  const prefix = `p${PROMPT}.`;
  for (const [name, tensor] of expected.tensors) {
    if (!name.startsWith(prefix) || name.startsWith(`${prefix}decode.`)) continue;
    source.set(name.slice(prefix.length), tensor);
  }
  source.set('tokens', { shape: [ids.length], data: Int32Array.from(ids) });
  const metadata = {
    config: readFileSync(new URL('config.json', FIXTURE), 'utf8'),
    token_strings: JSON.stringify(ids.map((id) => decodeIds([id]))),
  };
  dir = mkdtempSync(path.join(tmpdir(), 'vectorview-external-'));
  file = path.join(dir, 'trace.safetensors');
  writeFileSync(file, encodeSafetensors(source, metadata));

  trace = await readTraceFile(file);
  poster = await renderPoster(trace, { size: 'web', date: '2025-01-01', version: 'test' });
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a poster from a trace file written outside Vectorview', () => {
  test('the file has no Vectorview metadata and no LayerNorm hook_out: only what TransformerLens has', () => {
    const header = JSON.parse(new TextDecoder().decode(readFileSync(file).subarray(8, 8 + Number(readFileSync(file).readBigUInt64LE(0))))) as Record<string, { dtype?: string }> & { __metadata__: Record<string, string> };
    expect(Object.keys(header.__metadata__).sort()).toEqual(['config', 'token_strings']);
    expect(header['tokens']!.dtype).toBe('I32');
    expect([...source.keys()].some((k) => k.endsWith('hook_out'))).toBe(false);
  });

  test('reads the config, tokens and tensors from the file', () => {
    expect(trace.config).toMatchObject({ n_vocab: 50257, n_context: 64, d_model: 32, n_head: 4, d_head: 8, d_mlp: 128, n_layer: 2 });
    expect(trace.tokens.map((t) => t.id)).toEqual(ids);
    expect(trace.prompt).toBe('The capital of France is');
    expect(trace.engine.mode).toBe('external');
    expect(trace.decode).toBeUndefined();
    expect(trace.logitPositions).toEqual([0, 1, 2, 3, 4]);
  });

  test('draws every registered stage', () => {
    const doc = parseSvg(poster.svg);
    for (const id of POSTER_STAGE_IDS) expect(all(doc, (e) => e.getAttribute('id') === id), id).toHaveLength(1);
    expect(poster.stages.map((s) => s.id)).toEqual([...POSTER_STAGE_IDS]);
  });

  test('prints the token ids from the file', () => {
    const doc = parseSvg(poster.svg);
    const shown = all(doc, (e) => e.getAttribute('class') === 'token-id');
    expect(shown.map((e) => Number(e.getAttribute('data-token-id')))).toEqual(ids);
    expect(shown.map(textOf)).toEqual(ids.map(String));
  });

  test("prints the file's attention pattern numbers", () => {
    const doc = parseSvg(poster.svg);
    const cells = all(doc, (e) => e.hasAttribute('data-pattern'));
    const n = ids.length;
    expect(cells).toHaveLength((n * (n + 1)) / 2);
    const pattern = source.get('blocks.0.attn.hook_pattern')!;
    for (const cell of cells) {
      const [h, q, k] = cell.getAttribute('data-pattern')!.split(',').map(Number) as [number, number, number];
      const value = pattern.data[(h * n + q) * n + k]!;
      expect(Number(cell.getAttribute('data-value'))).toBeCloseTo(value, 3);
      expect(textOf(cell)).toBe(fmtProb(value));
    }
  });

  test('decodes the next token from the logits in the file', () => {
    const logits = source.get('logits')!;
    const V = trace.config.n_vocab;
    const { record } = decodeNextToken(logits.data.subarray((ids.length - 1) * V, ids.length * V), DEFAULT_DECODE);
    const doc = parseSvg(poster.svg);
    const chosen = all(doc, (e) => e.getAttribute('class') === 'candidate' && e.getAttribute('data-chosen') === 'true');
    expect(chosen.map((e) => Number(e.getAttribute('data-token-id')))).toEqual([record.chosen.id]);
    expect(Number(chosen[0]!.getAttribute('data-prob'))).toBeCloseTo(record.chosen.prob, 5);
  });

  test('says that γ and β are not in the trace', () => {
    // The sentence wraps over lines of its own: compare the stage's text without white space.
    const squash = (t: string) => t.replace(/\s+/g, '');
    const layerNorm = all(parseSvg(poster.svg), (e) => e.getAttribute('id') === 'stage-layernorm')[0]!;
    expect(squash(textOf(layerNorm))).toContain(squash('This trace holds only the normalised vectors'));
  });
});

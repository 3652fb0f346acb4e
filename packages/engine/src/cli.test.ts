import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisTensor, decodeSafetensors, decodeTrace, DEFAULT_DECODE, encodeSafetensors, HEAD_ROLES, hook, traceGraph, type Tensor } from '@vectorview/trace';
import { FIXTURE_DIR, fixturePrompts, maxAbs, maxAbsDiff } from './test-support/fixture.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const ENGINE_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const PROMPT = [464, 3139, 286, 4881, 318];
const N_VOCAB = 50257;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  const env = { ...process.env, ...extraEnv };
  delete env['VECTORVIEW_DEBUG'];
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000, env, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let root: string;
let outDir: string;
const fixtureBytes = readFileSync(path.join(FIXTURE_DIR, 'model.safetensors'));
const configText = readFileSync(path.join(FIXTURE_DIR, 'config.json'), 'utf8');

/** A checkpoint folder (config.json + model.safetensors) with the given weights file. */
function checkpoint(name: string, bytes: Uint8Array, configChange: Record<string, unknown> = {}): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'model.safetensors'), bytes);
  writeFileSync(path.join(dir, 'config.json'), Object.keys(configChange).length === 0 ? configText : JSON.stringify({ ...(JSON.parse(configText) as object), ...configChange }));
  return dir;
}

/** The fixture with its header length one byte short of its JSON, which is then padded by one space so it still parses. */
function headerOneByteShort(): Uint8Array {
  const length = Number(fixtureBytes.readBigUInt64LE(0));
  const json = fixtureBytes.subarray(8, 8 + length).toString('utf8').trimEnd();
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, Buffer.from(`${json} `), fixtureBytes.subarray(8 + length)]);
}

/** The fixture file with its JSON header rewritten (same data bytes). */
function withHeader(edit: (header: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>) => void): Uint8Array {
  const length = Number(fixtureBytes.readBigUInt64LE(0));
  const header = JSON.parse(fixtureBytes.subarray(8, 8 + length).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json, fixtureBytes.subarray(8 + length)]);
}

function withTensors(edit: (tensors: Map<string, Tensor>) => void): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(fixtureBytes);
  edit(tensors);
  return encodeSafetensors(tensors, metadata);
}

beforeAll(() => {
  expect(existsSync(CLI), `${CLI} is missing: build the engine first`).toBe(true);
  root = mkdtempSync(path.join(tmpdir(), 'vv-cli-'));
  outDir = path.join(root, 'out');
  mkdirSync(outDir);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('vectorview-trace on the fixture checkpoint', () => {
  let run: Run;
  let out: string;
  beforeAll(async () => {
    out = path.join(outDir, 'good.safetensors');
    run = await cli(['--model', FIXTURE_DIR, '--tokens', PROMPT.join(','), '--out', out, '--json']);
  }, 60_000);

  it('exits 0 and writes the trace', () => {
    expect(run.stderr).not.toMatch(/^vectorview-trace: /m);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('writes exactly the fixture hooks with their shapes, plus tokens, logits, decode.probs and the LayerNorm outputs', () => {
    const { tensors } = decodeSafetensors(readFileSync(out));
    const expected = fixturePrompts()[1]!;
    expect(expected.ids).toEqual(PROMPT);
    const wanted = new Map([...expected.expected].filter(([name]) => !name.startsWith('decode.')).map(([name, t]) => [name, t.shape]));
    expect(wanted.get('logits')).toEqual([5, N_VOCAB]);
    wanted.set('tokens', [5]);
    wanted.set('decode.probs', [N_VOCAB]);
    // The only hooks TransformerLens lacks: each LayerNorm's output after γ and β.
    for (const name of [hook.block(0, 'ln1.hook_out'), hook.block(0, 'ln2.hook_out'), hook.block(1, 'ln1.hook_out'), hook.block(1, 'ln2.hook_out'), hook.lnFinal('hook_out')]) wanted.set(name, [5, 32]);
    // And the analysis section: 10 targets (+ the decoded token when it is not among them), 15 components, 5 lens points.
    const T = tensors.get(analysisTensor.targets)!.shape[0]!;
    expect([10, 11]).toContain(T);
    wanted.set(analysisTensor.targets, [T]).set(analysisTensor.directLogit, [15, T]);
    wanted.set(analysisTensor.lensTargetProbs, [5, T]).set(analysisTensor.lensTargetRanks, [5, T]).set(analysisTensor.lensTopIds, [5, 5]).set(analysisTensor.lensTopProbs, [5, 5]);
    for (const role of HEAD_ROLES) wanted.set(analysisTensor.headScores(role), [2, 4]);
    wanted.set(analysisTensor.inductionProbe, [2, 4]).set(analysisTensor.circuitQk, [5, 5]).set(analysisTensor.circuitOv, [5, 5]);
    expect([...tensors.keys()].sort()).toEqual([...wanted.keys()].sort());
    for (const [name, shape] of wanted) expect(tensors.get(name)!.shape, name).toEqual(shape);
    expect(tensors.get('tokens')!.data).toBeInstanceOf(Int32Array);
    expect(Array.from(tensors.get('tokens')!.data)).toEqual(PROMPT);
    const ints = new Set(['tokens', analysisTensor.targets, analysisTensor.lensTargetRanks, analysisTensor.lensTopIds]);
    for (const [name, t] of tensors) expect(t.data, name).toBeInstanceOf(ints.has(name) ? Int32Array : Float32Array);
    // The values are HF's, not just the shapes.
    const logits = expected.expected.get('logits')!;
    expect(maxAbsDiff(tensors.get('logits')!.data, logits.data)).toBeLessThanOrEqual(1e-4 * (1 + maxAbs(logits.data)));
    const probs = tensors.get('decode.probs')!.data;
    expect(Array.from(probs).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    const kept = probs.filter((p) => p > 0).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(DEFAULT_DECODE.top_k);
  });

  it('stores config, prompt, tokens, decode and engine version in the metadata', () => {
    const bytes = readFileSync(out);
    const { metadata } = decodeSafetensors(bytes);
    expect(JSON.parse(metadata['config']!)).toMatchObject({ name: 'gpt2-tiny-hf', d_model: 32, n_head: 4, n_layer: 2, n_context: 64, n_vocab: N_VOCAB });
    expect(metadata['prompt']).toBe('The capital of France is');
    expect((JSON.parse(metadata['tokens']!) as { id: number }[]).map((t) => t.id)).toEqual(PROMPT);
    const decode = JSON.parse(metadata['decode']!) as { chosen: { id: number }; settings: { seed: number; top_k: number } };
    expect(decode.settings).toEqual(DEFAULT_DECODE);
    expect(JSON.parse(metadata['engine']!)).toMatchObject({ name: '@vectorview/engine', version: ENGINE_VERSION, mode: 'vectorwise' });
    // And it reads back as a trace, graph included.
    const trace = decodeTrace(bytes);
    expect(trace.decode!.chosen.id).toBe(decode.chosen.id);
    expect(trace.logitPositions).toEqual([0, 1, 2, 3, 4]);
    expect(traceGraph(trace).nodes.length).toBeGreaterThan(100);
  });

  it('--json prints tokens, candidates, the chosen token and the timings', () => {
    const summary = JSON.parse(run.stdout) as {
      tokens: { id: number; text: string }[];
      candidates: { id: number; prob: number }[];
      chosen: { id: number; prob: number; text: string };
      timings: { load_ms: number; forward_ms: number };
      out: string;
    };
    expect(summary.tokens.map((t) => t.id)).toEqual(PROMPT);
    expect(summary.tokens.map((t) => t.text).join('')).toBe('The capital of France is');
    expect(summary.candidates.length).toBeGreaterThan(0);
    expect(summary.candidates.length).toBeLessThanOrEqual(10);
    for (let i = 1; i < summary.candidates.length; i++) expect(summary.candidates[i]!.prob).toBeLessThanOrEqual(summary.candidates[i - 1]!.prob);
    expect(summary.chosen.id).toBeGreaterThanOrEqual(0);
    expect(summary.chosen.id).toBeLessThan(N_VOCAB);
    expect(summary.chosen.prob).toBeGreaterThan(0);
    const { tensors, metadata } = decodeSafetensors(readFileSync(out));
    expect(summary.chosen.prob).toBeCloseTo(tensors.get('decode.probs')!.data[summary.chosen.id]!, 6);
    expect((JSON.parse(metadata['decode']!) as { chosen: unknown }).chosen).toEqual(summary.chosen);
    expect(typeof summary.timings.load_ms).toBe('number');
    expect(typeof summary.timings.forward_ms).toBe('number');
    expect(summary.timings.load_ms).toBeGreaterThanOrEqual(0);
    expect(summary.timings.forward_ms).toBeGreaterThanOrEqual(0);
    expect(summary.out).toBe(out);
  });
});

describe('vectorview-trace on bad input: one line on stderr, non-zero exit, no output file', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['a missing model path', () => ['--model', path.join(root, 'nowhere'), '--tokens', '464'], /model .*nowhere not found/],
    ['a truncated file', () => ['--model', checkpoint('truncated', fixtureBytes.subarray(0, 1_000_000)), '--tokens', '464'], /model\.safetensors: tensor .* lie outside the \d+-byte data section \(truncated file\?\)/],
    ['a malformed header', () => ['--model', checkpoint('malformed', Buffer.concat([fixtureBytes.subarray(0, 8), Buffer.from('{{{{'), fixtureBytes.subarray(12)])), '--tokens', '464'], /model\.safetensors: header is not valid UTF-8 JSON/],
    ['an unsupported dtype', () => ['--model', checkpoint('dtype', withHeader((h) => (h['transformer.ln_f.bias']!.dtype = 'F8_E4M3'))), '--tokens', '464'], /tensor transformer\.ln_f\.bias: unknown dtype "F8_E4M3"/],
    ['a known but unreadable dtype', () => ['--model', checkpoint('dtype-i16', withHeader((h) => Object.assign(h['transformer.ln_f.bias']!, { dtype: 'I16', shape: [64] }))), '--tokens', '464'], /tensor transformer\.ln_f\.bias: dtype I16 is not supported/],
    ['a missing tensor', () => ['--model', checkpoint('missing', withTensors((t) => t.delete('transformer.h.0.ln_2.weight'))), '--tokens', '464'], /missing tensor h\.0\.ln_2\.weight \(expected shape \[32\]\)/],
    ['a wrong shape', () => ['--model', checkpoint('shape', withTensors((t) => t.set('transformer.wpe.weight', { shape: [32, 64], data: t.get('transformer.wpe.weight')!.data }))), '--tokens', '464'], /tensor wpe\.weight has shape \[32, 64\], expected \[64, 32\]/],
    ['an unknown model name', () => ['--model', 'random:nope', '--tokens', '464'], /unknown model random:nope: random models are random:gpt2, .*random:tiny/],
    ['an empty prompt', () => ['--model', FIXTURE_DIR, '--prompt', ''], /the prompt is empty/],
    ['a prompt longer than n_positions', () => ['--model', FIXTURE_DIR, '--prompt', 'hello '.repeat(70)], /the prompt has \d+ tokens but gpt2-tiny-hf reads at most 64/],
    ['65 token ids', () => ['--model', FIXTURE_DIR, '--tokens', Array(65).fill(464).join(',')], /the prompt has 65 tokens but gpt2-tiny-hf reads at most 64/],
    ['a token id outside the vocabulary', () => ['--model', FIXTURE_DIR, '--tokens', '464,50257'], /token id 50257 is outside the vocabulary \(0\.\.50256\)/],
    ['a token id that is not a number', () => ['--model', FIXTURE_DIR, '--tokens', '464,abc'], /--tokens must be comma-separated integer ids/],
    ['--top-p 2', () => ['--model', FIXTURE_DIR, '--tokens', '464', '--top-p', '2'], /--top-p must be a number in \(0, 1\], got 2$/],
    ['an unknown flag', () => ['--model', FIXTURE_DIR, '--tokens', '464', '--bogus'], /Unknown option '--bogus'/],
    ['n_layer 10⁹ in the config', () => ['--model', checkpoint('n-layer-huge', fixtureBytes, { n_layer: 1e9 }), '--tokens', '464'], /config field n_layer is 1000000000, beyond the 192 this reader accepts/],
    ['layer_norm_epsilon 1e300', () => ['--model', checkpoint('eps-huge', fixtureBytes, { layer_norm_epsilon: 1e300 }), '--tokens', '464'], /layer_norm_epsilon must be a number between 0 and 1, got 1e\+300/],
    ['n_layer 1 over two layers of weights', () => ['--model', checkpoint('n-layer-1', fixtureBytes, { n_layer: 1 }), '--tokens', '464'], /holds h\.1\.\S+, but the config has n_layer 1: the config and the weights disagree/],
    ['tie_word_embeddings false with no lm_head', () => ['--model', checkpoint('untied', fixtureBytes, { tie_word_embeddings: false }), '--tokens', '464'], /unties the embeddings \(tie_word_embeddings false\) but the file has no lm_head\.weight/],
    ['bytes appended after the data', () => ['--model', checkpoint('trailing', Buffer.concat([fixtureBytes, Buffer.alloc(64)])), '--tokens', '464'], /the data section is \d+ bytes but its tensors use \d+ \(bytes appended after the data\?\)/],
    ['a header one byte short', () => ['--model', checkpoint('short-header', headerOneByteShort()), '--tokens', '464'], /model\.safetensors: the data section is \d+ bytes but its tensors use \d+/],
    ['a NaN weight', () => ['--model', checkpoint('nan', withTensors((t) => t.get('transformer.h.0.mlp.c_fc.weight')!.data.fill(NaN, 7, 8))), '--tokens', '464'], /tensor transformer\.h\.0\.mlp\.c_fc\.weight holds NaN at element 7; weights must be finite/],
    ['an infinite weight', () => ['--model', checkpoint('inf', withTensors((t) => t.get('transformer.wte.weight')!.data.fill(-Infinity, 0, 1))), '--tokens', '464'], /tensor transformer\.wte\.weight holds -Infinity at element 0/],
    ['a FIFO as --model (no writer: opening it would block)', () => {
      const fifo = path.join(root, 'model-fifo.safetensors');
      if (!existsSync(fifo)) execFileSync('mkfifo', [fifo]);
      return ['--model', fifo, '--tokens', '464'];
    }, /cannot open .*model-fifo\.safetensors: not a regular file/],
    ['a negative --top-k', () => ['--model', FIXTURE_DIR, '--tokens', '464', '--top-k', '-3'], /^vectorview-trace: --top-k must be a whole number ≥ 0 \(0 turns it off\), got -3$/],
    ['a negative --temperature', () => ['--model', FIXTURE_DIR, '--tokens', '464', '--temperature', '-1'], /--temperature must be 0 \(greedy\) or a number from 0\.000001 to 1000000, got -1$/],
    ['a --temperature so small the logits overflow', () => ['--model', FIXTURE_DIR, '--tokens', '464', '--temperature', '1e-320'], /--temperature must be 0 \(greedy\) or a number from .*, got 1e-320$/],
    ['a hexadecimal --seed', () => ['--model', FIXTURE_DIR, '--tokens', '464', '--seed', '0x10'], /--seed must be a whole number, got 0x10$/],
    ['a negative token id', () => ['--model', FIXTURE_DIR, '--tokens', '-1'], /--tokens must be comma-separated integer ids .*, got "-1"/],
    ['hexadecimal and exponent token ids', () => ['--model', FIXTURE_DIR, '--tokens', '0x10,1e3'], /--tokens must be .*, got "0x10" in "0x10,1e3"/],
    ['a whitespace-only prompt', () => ['--model', FIXTURE_DIR, '--prompt', '   '], /the prompt is empty/],
    ['a flag with no value', () => ['--model', FIXTURE_DIR, '--tokens'], /^vectorview-trace: --tokens needs a value$/],
  ];

  it.concurrent.each(cases.map(([name, args, message], i) => [name, args, message, i] as const))(
    '%s',
    async (_, args, message, i) => {
      const out = path.join(outDir, `bad-${i}.safetensors`);
      expect(existsSync(out)).toBe(false);
      const { code, stdout, stderr } = await cli([...args(), '--out', out]);
      expect(code, stderr).not.toBe(0);
      expect(code, stderr).not.toBeNull(); // not killed by the timeout
      expect(stderr.endsWith('\n'), JSON.stringify(stderr)).toBe(true);
      const lines = stderr.trimEnd().split('\n');
      expect(lines, stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^vectorview-trace: \S/);
      expect(stderr).not.toMatch(/^ {4}at /m);
      expect(lines[0]).toMatch(message);
      expect(lines[0]).not.toMatch(/undefined/);
      expect(stdout).toBe('');
      expect(existsSync(out)).toBe(false);
    },
    60_000,
  );
});

describe('vectorview-trace never writes over its inputs, and creates missing folders', () => {
  it.each([
    ['the weights it reads', (dir: string) => ['--model', path.join(dir, 'model.safetensors'), '--out', path.join(dir, 'model.safetensors')]],
    ['the config beside them', (dir: string) => ['--model', dir, '--out', path.join(dir, 'config.json')]],
  ])('refuses --out over %s with one line, and the checkpoint is unchanged', async (_name, args) => {
    const dir = checkpoint(`own-input-${_name.length}`, fixtureBytes);
    const { code, stderr } = await cli([...args(dir), '--tokens', '464']);
    expect(code).toBe(1);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^vectorview-trace: --out .* would write over the input --model /);
    expect(readFileSync(path.join(dir, 'model.safetensors')).equals(fixtureBytes)).toBe(true);
    expect(readFileSync(path.join(dir, 'config.json'), 'utf8')).toBe(configText);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
  }, 60_000);

  it('--out into folders that do not exist: they are created, and the last line says so', async () => {
    const out = path.join(root, 'made', 'deeper', 't.safetensors');
    const { code, stderr } = await cli(['--model', FIXTURE_DIR, '--tokens', '464', '--out', out]);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/, 1 token\);.*; created folder .*made\n$/);
    expect(readdirSync(path.join(root, 'made'), { recursive: true }).map(String).sort()).toEqual(['deeper', path.join('deeper', 't.safetensors')]);
  }, 60_000);
});

describe('vectorview-trace command-line basics', () => {
  it('--help lists every flag with its meaning, and the decoding defaults from DEFAULT_DECODE', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: vectorview-trace \[--model gpt2\|DIR\|FILE\|random:NAME\]/);
    const described = new Set([...stdout.matchAll(/^ {2}--([\w-]+)(?: \S+)? {2,}\S/gm)].map((m) => m[1]));
    const used = new Set([...stdout.split('\n\n')[0]!.matchAll(/--([\w-]+)/g)].map((m) => m[1]));
    for (const flag of [...used, 'offline', 'mode', 'help']) expect(described, `--${flag}`).toContain(flag);
    expect(stdout).toContain(`(default: ${DEFAULT_DECODE.temperature})`);
    expect(stdout).toContain(`(default: ${DEFAULT_DECODE.top_k})`);
  });

  it('a value starting with "-" is read as the value: --prompt -->', async () => {
    const out = path.join(root, 'dash.safetensors');
    const { code, stderr } = await cli(['--model', FIXTURE_DIR, '--prompt', '-->', '--out', out]);
    expect(code, stderr).toBe(0);
    expect(decodeTrace(readFileSync(out)).prompt).toBe('-->');
  }, 60_000);

  it('without --model, the bundled model is used (progress names it)', async () => {
    const bundled = JSON.parse(readFileSync(fileURLToPath(new URL('../../default-model/model/config.json', import.meta.url)), 'utf8')) as { name: string };
    const out = path.join(root, 'bundled.safetensors');
    const { code, stderr } = await cli(['--prompt', 'Hello', '--out', out], { VECTORVIEW_VERBOSE: '1' });
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`loading model ${bundled.name} and running`);
    expect(stderr).not.toMatch(/ 1 tokens/);
    expect(decodeTrace(readFileSync(out)).config.name).toBe(bundled.name);
  }, 60_000);
});

describe('after all runs', () => {
  it('the output folder holds only the good trace: no failed output, no *.partial file', () => {
    expect(readdirSync(outDir).sort()).toEqual(['good.safetensors']);
  });
});

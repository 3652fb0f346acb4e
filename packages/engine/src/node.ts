/**
 * Node entry: loads checkpoints from disk (a HuggingFace directory, a .safetensors file, or a
 * seeded random model by name) and points the wasm backend at its bundled binaries.
 */
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, firstNonFinite, FOCUS_CRITERIA, normalizeConfig, type ModelConfig, type Tensor, type TensorEntry, type Trace } from '@vectorview/trace';
import { openSafetensorsFile, readTraceFile, type SafetensorsFile } from '@vectorview/trace/node';
import { initBackend, type BackendName } from './backend.js';
import { isHubModelId, resolveHubModel } from './hub.js';
import { deviceBackedTensor, fileBackedTensor, onRelease, type FileTensor } from './backed-weights.js';
import { filledTensors } from './heap.js';
import { cachesOnDevice, Gpt2Model } from './model.js';
import { decodeFromFlags, modeFromFlags, tokensFromFlags, UsageError, wholeNumberFlag, type ForwardFlagValues } from './command.js';
import { traceForward, type TraceOptions } from './run.js';
import { tokenizerForVocabulary } from './tokenizer.js';
import { expectedShapes, gpt2Config, LAYER_MATRICES, randomWeights, RANDOM_MODEL_NAMES, WeightsError, weightsFromTensors, type Gpt2Weights, type RandomModelName } from './weights.js';

const require = createRequire(import.meta.url);

export const ENGINE_VERSION: string = (require('../package.json') as { version: string }).version;

export class ModelSourceError extends Error {
  override name = 'ModelSourceError';
}

/** Initialises tfjs with the wasm backend from the installed package (no download), cpu as fallback. */
export function initNodeBackend(preferred: BackendName = 'wasm'): Promise<BackendName> {
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  return initBackend({ preferred, wasmPaths: `${wasmDir}/dist/` });
}

async function kind(p: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(p);
    return s.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

async function readConfigJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${error instanceof SyntaxError ? 'not valid JSON' : (error as Error).message}`);
  }
}

const LAYER_MATRIX_KEY = new RegExp(`^h\\.\\d+\\.(${Object.values(LAYER_MATRICES).join('|').replaceAll('.', '\\.')})$`);

/** Pieces read concurrently: the cost of a cold read here is the first touch of fresh memory, which parallel reads spread over the cores. */
const READ_PIECE_BYTES = 16 * 2 ** 20;
const READERS = Math.min(4, availableParallelism());

/**
 * Reads each tensor's bytes into its buffer, in pieces, several at once (GPT-2's 548 MB: 1.9 s →
 * 1.0 s on two cores), and hands each piece to `check` as it lands, so checking overlaps the reads.
 */
async function readConcurrently(file: SafetensorsFile, jobs: readonly (readonly [TensorEntry, Uint8Array])[], check: (entry: TensorEntry, piece: Uint8Array, from: number) => void): Promise<void> {
  const pieces = jobs.flatMap(([entry, bytes]) => Array.from({ length: Math.ceil(bytes.length / READ_PIECE_BYTES) }, (_, k) => ({ entry, bytes: bytes.subarray(k * READ_PIECE_BYTES, (k + 1) * READ_PIECE_BYTES), from: k * READ_PIECE_BYTES })));
  let next = 0;
  let failed = false;
  const reader = async () => {
    for (let piece = pieces[next++]; piece && !failed; piece = pieces[next++]) {
      try {
        await file.readInto(piece.entry, piece.bytes, piece.from);
        check(piece.entry, piece.bytes, piece.from);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  // Every reader stops before an error is passed on: the caller then frees the buffers they write into.
  const outcomes = await Promise.allSettled(Array.from({ length: READERS }, reader));
  const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (rejected) throw rejected.reason;
}

/**
 * Where a loader puts W_E, an untied lm_head and the layers' matrices, nearly all of a checkpoint's bytes:
 * - 'memory': plain arrays;
 * - 'backend': read from the file straight onto the initialised backend, to stay there (a model of
 *   over ~1.2 GB, which streams its layers anyway, is left in the file instead);
 * - 'file': left in the checkpoint, each read when a pass needs it (a layer at a time), so a
 *   single pass touches far less fresh memory. The checkpoint stays open until the model made
 *   from the weights is disposed.
 * Every value is checked for NaN and ±∞ where it lands: at load, or for 'file' on each read.
 */
export type WeightPlacement = 'memory' | 'backend' | 'file';

/** Reads a HuggingFace GPT-2 checkpoint tensor by tensor. Keys may carry the `transformer.` prefix or not; attention-mask buffers are skipped; lm_head.weight is used only when embeddings are untied. */
export async function loadCheckpoint(weightsFile: string, configJson: unknown, name: string, asked: WeightPlacement = 'memory'): Promise<Gpt2Weights> {
  const config = normalizeConfig(configJson, name);
  const placement = asked === 'backend' && !cachesOnDevice(config) ? 'file' : asked;
  const file = await openSafetensorsFile(weightsFile);
  const shapes = expectedShapes(config);
  const uploaded: tf.Tensor[] = [];
  let keepOpen = false;
  try {
    const byName = new Map(file.header.tensors.map((t) => [t.name.replace(/^transformer\./, ''), t]));
    const loaded = new Map<string, Tensor>();
    const get = (key: string) => loaded.get(key);
    const lmHead = byName.get('lm_head.weight');
    if (!config.tied_embeddings && !lmHead) throw new ConfigError(`${weightsFile}: the config unties the embeddings (tie_word_embeddings false) but the file has no lm_head.weight`);
    const nonFinite = (entry: TensorEntry, value: number, at: number) => new WeightsError(`${weightsFile}: tensor ${entry.name} holds ${value} at element ${at}; weights must be finite`);
    const checkValues = (entry: TensorEntry, values: Float32Array, from: number) => {
      const bad = firstNonFinite(values);
      if (bad >= 0) throw nonFinite(entry, values[bad]!, from + bad);
    };
    const check = (entry: TensorEntry, bytes: Uint8Array, from: number) => checkValues(entry, new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4), from / 4);
    const inFile = (entry: TensorEntry): FileTensor => ({
      shape: entry.shape,
      read: (bytes, from) => file.readIntoSync(entry, bytes, from),
      check: (values, from) => checkValues(entry, values, from),
    });
    // Only a float32 tensor of the expected shape is placed; any other is read plainly, for weightsFromTensors to name the mismatch.
    const placed = (key: string, entry: TensorEntry) => placement !== 'memory' && entry.dtype === 'F32' && entry.shape.join() === (key === 'lm_head.weight' ? [config.n_vocab, config.d_model] : shapes.get(key))?.join();
    const toBackend: [string, TensorEntry][] = [];
    for (const [key, entry] of byName) {
      if (/\.attn\.(bias|masked_bias)$/.test(key) || key === 'lm_head.weight') continue;
      const layer = /^h\.(\d+)\./.exec(key)?.[1];
      if (layer !== undefined && Number(layer) >= config.n_layer) throw new ConfigError(`${weightsFile} holds ${key}, but the config has n_layer ${config.n_layer}: the config and the weights disagree`);
      if ((LAYER_MATRIX_KEY.test(key) || key === 'wte.weight') && placed(key, entry)) {
        if (placement === 'file') loaded.set(key, fileBackedTensor(inFile(entry)));
        else toBackend.push([key, entry]);
        continue;
      }
      const tensor = await file.read(entry);
      const bad = firstNonFinite(tensor.data);
      if (bad >= 0) throw nonFinite(entry, tensor.data[bad]!, bad);
      loaded.set(key, tensor);
    }
    const devices = await filledTensors(
      toBackend.map(([, entry]) => entry.shape),
      // Checked where the bytes landed, while the views are valid (nothing allocates meanwhile).
      (views) => readConcurrently(file, toBackend.map(([, entry], i) => [entry, views[i]!]), check),
    );
    uploaded.push(...devices);
    toBackend.forEach(([key], i) => loaded.set(key, deviceBackedTensor(devices[i] as tf.Tensor2D)));
    const untied = lmHead && !config.tied_embeddings ? (placement === 'file' && placed('lm_head.weight', lmHead) ? fileBackedTensor(inFile(lmHead)) : await file.read(lmHead)) : undefined;
    const weights = weightsFromTensors(config, get, untied);
    if (placement === 'file') {
      keepOpen = true;
      // Closing a file opened for reading has nothing to report, and dispose() cannot wait for it.
      onRelease(weights, () => void file.close().catch(() => undefined));
    }
    return weights;
  } catch (error) {
    tf.dispose(uploaded);
    throw error;
  } finally {
    if (!keepOpen) await file.close();
  }
}

export interface LoadOptions {
  /** Never download a hub model; use only what is cached. */
  readonly offline?: boolean;
  /** Status lines while a hub model downloads. */
  readonly progress?: (line: string) => void;
  /** Where the bulk of the weights goes (WeightPlacement); loadWeights's default is 'memory', loadModel's is below. */
  readonly placement?: WeightPlacement;
}

/**
 * Resolves `random:NAME`, a checkpoint directory, a .safetensors file (config.json beside it or in
 * its metadata), or a hub id (`gpt2`, `openai-community/gpt2-xl`: cached, else downloaded).
 */
export async function loadWeights(source: string, options: LoadOptions = {}): Promise<Gpt2Weights> {
  if (source.startsWith('random:')) {
    const name = source.slice('random:'.length);
    if (!(RANDOM_MODEL_NAMES as string[]).includes(name)) {
      throw new ModelSourceError(`unknown model ${source}: random models are ${RANDOM_MODEL_NAMES.map((n) => `random:${n}`).join(', ')}`);
    }
    return randomWeights(gpt2Config(name as RandomModelName));
  }
  const found = await kind(source);
  if (found === 'dir') {
    const weightsFile = path.join(source, 'model.safetensors');
    if ((await kind(weightsFile)) !== 'file') throw new ModelSourceError(`${source} has no model.safetensors`);
    const configFile = path.join(source, 'config.json');
    if ((await kind(configFile)) !== 'file') throw new ModelSourceError(`${source} has no config.json`);
    return loadCheckpoint(weightsFile, await readConfigJson(configFile), path.basename(path.resolve(source)), options.placement);
  }
  if (found === 'file') {
    const beside = path.join(path.dirname(source), 'config.json');
    if ((await kind(beside)) === 'file') return loadCheckpoint(source, await readConfigJson(beside), path.basename(path.dirname(path.resolve(source))), options.placement);
    const file = await openSafetensorsFile(source);
    const embedded = file.header.metadata['config.json'] ?? file.header.metadata['config'];
    await file.close();
    if (!embedded) throw new ModelSourceError(`${source} has no config.json beside it and none in its metadata`);
    let configJson: unknown;
    try {
      configJson = JSON.parse(embedded);
    } catch {
      throw new ConfigError(`${source}: the config in its metadata is not valid JSON`);
    }
    return loadCheckpoint(source, configJson, path.basename(source, '.safetensors'), options.placement);
  }
  if (isHubModelId(source)) {
    const hub = await resolveHubModel(source, options);
    try {
      return await loadCheckpoint(hub.files.weights, await readConfigJson(hub.files.config), source, options.placement);
    } catch (error) {
      // Say which cached files to delete: the next run then downloads them again.
      throw new ModelSourceError(`${(error as Error).message} (the cached files are in ${hub.dir}: delete that folder to download them again)`);
    }
  }
  throw new ModelSourceError(`model ${source} not found: give a checkpoint directory, a .safetensors file, or random:NAME, or a hub id such as gpt2`);
}

/**
 * Loads weights and readies the backend: the one call most users need. By default ('backend') the
 * weights stay on the backend for many passes. 'file' suits a single pass (traceModel's choice):
 * each layer is read when the pass reaches it, into memory the layer before it used.
 */
export async function loadModel(source: string, options: LoadOptions & { backend?: BackendName } = {}): Promise<Gpt2Model> {
  const { backend, ...load } = options;
  await initNodeBackend(backend);
  return new Gpt2Model(await loadWeights(source, { placement: 'backend', ...load }));
}

export type { ModelConfig };
export { WeightsError };
export { HubError, isHubModelId, resolveHubModel, type ResolvedHubModel, type ResolveHubOptions } from './hub.js';
export * from './command.js';

/** Loads a model and runs one traced forward pass; the trace records load and forward times. */
export async function traceModel(source: string, options: TraceOptions & LoadOptions & { backend?: BackendName }): Promise<Trace> {
  const { backend, offline, progress, ...traceOptions } = options;
  const start = performance.now();
  // One pass: the weights stay in the checkpoint and stream, which a cold run pays least for.
  const model = await loadModel(source, { placement: 'file', ...(backend ? { backend } : {}), ...(offline !== undefined ? { offline } : {}), ...(progress ? { progress } : {}) });
  const loadMs = performance.now() - start;
  try {
    return traceForward(model, tokenizerForVocabulary(model.config.n_vocab), { engineVersion: ENGINE_VERSION, ...traceOptions, timings: { load_ms: Math.round(loadMs) } });
  } finally {
    model.dispose();
  }
}

export interface TraceDefaults {
  /** The model used when --model is not given. */
  readonly model: string;
  /** Its name, for progress lines. */
  readonly modelName?: string;
  /** The prompt used when neither --prompt nor --tokens is given. */
  readonly prompt: string;
  /** Which positions to unembed (default: the last). */
  readonly unembed?: 'last' | 'all';
}

/**
 * The trace a command was asked for: read from `--trace FILE`, or computed from --model and
 * --prompt/--tokens with the decoding flags. Reports each step through `progress`.
 */
export async function traceFromFlags(
  values: ForwardFlagValues & { trace?: string | undefined; head?: string | undefined; layer?: string | undefined },
  defaults: TraceDefaults,
  progress: (line: string) => void,
  hooks: Pick<TraceOptions, 'onTensor'> = {},
): Promise<Trace> {
  if (values.trace !== undefined) {
    const conflicting = (['model', 'prompt', 'tokens', 'temperature', 'top-k', 'top-p', 'seed', 'greedy', 'mode'] as const).filter((f) => values[f] !== undefined);
    if (conflicting.length > 0) throw new UsageError(`--trace draws a saved pass; it cannot be combined with --${conflicting.join(', --')}`);
    progress(`reading trace ${values.trace}`);
    return readTraceFile(values.trace);
  }
  if (values.prompt !== undefined && values.prompt.trim() === '') throw new UsageError('the prompt is empty: give some text with --prompt or ids with --tokens');
  const tokens = tokensFromFlags(values);
  const decode = decodeFromFlags(values);
  const mode = modeFromFlags(values);
  const source = values.model ?? defaults.model;
  const input = tokens ? { tokens } : { prompt: values.prompt ?? defaults.prompt };
  progress(`loading model ${values.model ?? defaults.modelName ?? defaults.model} and running the ${mode} forward pass`);
  // --layer/--head choose the head drawn in full, so its circuits are computed with the pass; the range is checked against the model.
  const focus = { layer: wholeNumberFlag('layer', values.layer, 0, Number.MAX_SAFE_INTEGER), head: wholeNumberFlag('head', values.head, 0, Number.MAX_SAFE_INTEGER) };
  const trace = await traceModel(source, { ...input, ...hooks, decode, mode, focus, offline: values.offline === true, progress, ...(defaults.unembed ? { unembed: defaults.unembed } : {}) });
  const t = trace.engine.timings ?? {};
  const chosen = trace.decode!.chosen;
  const duration = (ms = 0) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
  progress(`  ${trace.config.name}: loaded in ${duration(t['load_ms'])}, ${trace.tokens.length} token${trace.tokens.length === 1 ? '' : 's'} forward in ${duration(t['forward_ms'])}; next token ${JSON.stringify(chosen.text)} (p = ${chosen.prob.toFixed(3)})`);
  const opened = trace.analysis.circuits;
  if (opened) progress(`  head L${opened.layer}H${opened.head} drawn in full: ${FOCUS_CRITERIA[opened.criterion]}`);
  return trace;
}

export * from './index.js';

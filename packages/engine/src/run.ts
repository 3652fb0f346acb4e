/** One traced forward pass: tokens in, a Trace (every vector, the decoding step, the graph) out. */
import { createTrace, decodeNextToken, DEFAULT_DECODE, hook, type Candidate, type DecodeSettings, type EngineInfo, type Tensor, type TensorName, type Trace } from '@vectorview/trace';
import * as tf from '@tensorflow/tfjs-core';
import { analysePass, lensRowsOf, probePass } from './analysis.js';
import type { ForwardMode, ForwardResult, Gpt2Model } from './model.js';
import type { Tokenizer } from './tokenizer.js';

export class InputError extends Error {
  override name = 'InputError';
}

export interface TraceOptions {
  /** The text to run; or give `tokens`. */
  readonly prompt?: string;
  readonly tokens?: readonly number[];
  readonly mode?: ForwardMode;
  readonly unembed?: 'last' | 'all';
  readonly decode?: Partial<DecodeSettings>;
  /** How many candidates the decode record keeps (the full distribution is always in decode.probs). */
  readonly candidates?: number;
  readonly engineVersion?: string;
  /** Timings measured before the pass (load_ms, say), recorded beside forward_ms. */
  readonly timings?: Readonly<Record<string, number>>;
  /**
   * The head whose circuits are computed and which is drawn in full. By default the head with the
   * largest direct attribution to the decoded token; a layer or head given here restricts the choice.
   */
  readonly focus?: { readonly layer?: number | undefined; readonly head?: number | undefined };
  /** Seed of the induction probe's random tokens. */
  readonly probeSeed?: number;
  /** ISO date stamped on the trace; defaults to now. */
  readonly created?: string;
  /** Called with each tensor of the traced pass as it is recorded (vectorview-trace writes it out meanwhile); its values must not be changed. */
  readonly onTensor?: (name: TensorName, tensor: Tensor) => void;
}

/** Checks the input and turns it into token ids. */
export function tokenize(model: Gpt2Model, tokenizer: Tokenizer, options: Pick<TraceOptions, 'prompt' | 'tokens'>): number[] {
  const { n_vocab, n_context } = model.config;
  let ids: number[];
  if (options.tokens) {
    ids = [...options.tokens];
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= n_vocab);
    if (bad !== undefined) throw new InputError(`token id ${bad} is outside the vocabulary (0..${n_vocab - 1})`);
  } else {
    if (!options.prompt) throw new InputError('the prompt is empty: give some text with --prompt or ids with --tokens');
    ids = tokenizer.encode(options.prompt);
  }
  if (ids.length === 0) throw new InputError('the prompt has no tokens');
  if (ids.length > n_context) throw new InputError(`the prompt has ${ids.length} tokens but ${model.config.name} reads at most ${n_context}`);
  return ids;
}

export function traceForward(model: Gpt2Model, tokenizer: Tokenizer, options: TraceOptions): Trace {
  const ids = tokenize(model, tokenizer, options);
  checkFocus(model, options.focus);
  const mode = options.mode ?? 'vectorwise';
  const probeStart = tokenizer.endOfText < model.config.n_vocab ? tokenizer.endOfText : 0;
  const probeSettings = { probeStart, mode, ...(options.probeSeed !== undefined ? { probeSeed: options.probeSeed } : {}) };
  // The analyses' probe runs in the same sweep: a model streaming its weights reads each layer once.
  const probe = probePass(model, probeSettings);
  const start = performance.now();
  // So do the logit lens's rows: a streamed W_U is read once for all of them.
  const traced = { mode, unembed: options.unembed ?? 'last', unembedAlso: (t: ReadonlyMap<TensorName, Tensor>) => lensRowsOf(model, t), ...(options.onTensor ? { onRecord: options.onTensor } : {}) } as const;
  const [{ tensors, logitPositions, alsoLogits }, probed] = model.forwardEach([{ ids, options: traced }, ...(probe ? [probe] : [])]) as [ForwardResult, ForwardResult?];
  const forwardMs = performance.now() - start;
  const logits = tensors.get(hook.logits)!;
  const vocab = logits.shape[1]!;
  const last = logits.data.subarray(logits.data.length - vocab);
  const settings: DecodeSettings = { ...DEFAULT_DECODE, ...options.decode };
  const decoded = decodeNextToken(last, settings, options.candidates ?? 20);
  const named = (c: Candidate): Candidate => ({ ...c, display: tokenizer.display(c.id), text: tokenizer.decode([c.id]) });
  const record = { ...decoded.record, candidates: decoded.record.candidates.map(named), chosen: named(decoded.record.chosen) };
  const probs = decoded.probs;
  tensors.set(hook.decodeProbs, { shape: [vocab], data: probs });
  tensors.set(hook.tokens, { shape: [ids.length], data: Int32Array.from(ids) });
  const analysisStart = performance.now();
  const analysis = analysePass(model, tensors, ids, record.chosen.id, { ...probeSettings, ...(options.focus ? { focus: options.focus } : {}), ...(probed ? { probeTensors: probed.tensors } : {}), ...(alsoLogits ? { lensLogits: alsoLogits } : {}) });
  for (const [name, t] of analysis.tensors) tensors.set(name, t);
  const analysisMs = performance.now() - analysisStart;
  const tenths = (ms: number) => Math.round(ms * 10) / 10;
  const engine: EngineInfo = { name: '@vectorview/engine', version: options.engineVersion ?? 'unknown', mode, backend: tf.getBackend(), timings: { ...options.timings, forward_ms: tenths(forwardMs), ...(probed ? { probe_ms: tenths(probed.blocksMs) } : {}), analysis_ms: tenths(analysisMs) } };
  return createTrace({
    config: model.config,
    prompt: options.prompt ?? tokenizer.decode(ids),
    tokens: ids.map((id) => tokenizer.info(id)),
    tensors,
    logitPositions,
    decode: record,
    engine,
    analysis: analysis.metadata,
    created: options.created ?? new Date().toISOString(),
  });
}

function checkFocus(model: Gpt2Model, focus: TraceOptions['focus']): void {
  const { n_layer, n_head } = model.config;
  const within = (what: string, value: number | undefined, count: number) => {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0 && value < count)) throw new InputError(`--${what} must be a whole number from 0 to ${count - 1}, got ${value}`);
  };
  // Named as the flags that set them: that is how a person asks for a head.
  within('layer', focus?.layer, n_layer);
  within('head', focus?.head, n_head);
}

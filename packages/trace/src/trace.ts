/**
 * A trace: every vector of one forward pass under its TransformerLens hook name, the tokens and
 * the decoding step (the computation graph follows from these: `traceGraph`). Plain typed arrays and JSON, so it saves as one
 * safetensors file and reloads without the model.
 */
import { ANALYSIS_METADATA_KEYS, readAnalysis, type AnalysisMetadata, type AnalysisTensorName, type TraceAnalysis } from './analysis.js';
import { normalizeConfig, type ModelConfig } from './config.js';
import type { DecodeRecord } from './decoding.js';
import { buildGraph, type Graph } from './graph.js';
import { checkTensorValues, checkTokens, checkTraceLayout, checkTraceMetadata } from './validate.js';
import { encodeSafetensors, LazyTensors, parseHeader, readHeaderLength, SafetensorsError, tensorView, type SafetensorsHeader, type Tensor, type TensorEntry } from './safetensors.js';

export const TRACE_FORMAT = 'vectorview-trace/1';

export interface TokenInfo {
  readonly id: number;
  /** GPT-2's byte-to-unicode form: a leading space shows as "Ġ", a newline as "Ċ". */
  readonly display: string;
  /** The token's text as UTF-8 decodes it (may be a replacement character for a partial byte sequence). */
  readonly text: string;
  readonly bytes: number;
  /** The BPE merges that built the token, first to last, each as [left, right] in display form. */
  readonly merges?: readonly (readonly [string, string])[];
}

export interface EngineInfo {
  readonly name: string;
  readonly version: string;
  readonly mode: 'vectorwise' | 'batched' | 'external';
  readonly backend?: string;
  readonly timings?: Readonly<Record<string, number>>;
}

export interface Trace {
  readonly config: ModelConfig;
  readonly prompt: string;
  readonly tokens: readonly TokenInfo[];
  /** Tensors by hook name, without a batch dimension (shapes as in docs/trace-format.md). */
  readonly tensors: ReadonlyMap<TensorName, Tensor>;
  /** Positions whose logits were computed (the rows of `logits`, in order). */
  readonly logitPositions: readonly number[];
  readonly decode?: DecodeRecord;
  readonly engine: EngineInfo;
  readonly created: string;
  /** The analyses at the last position (attribution, logit lens, head roles, circuits), read from tensors and metadata. */
  readonly analysis: TraceAnalysis;
}

export class TraceError extends Error {
  override name = 'TraceError';
}

export function getTensor(trace: Pick<Trace, 'tensors'>, name: TensorName): Tensor {
  const t = trace.tensors.get(name);
  if (!t) throw new TraceError(`the trace has no tensor ${name}`);
  return t;
}

export function hasTensor(trace: Pick<Trace, 'tensors'>, name: TensorName): boolean {
  return trace.tensors.has(name);
}

/** The innermost vector at the given leading indices, as a view (no copy). */
export function vectorAt(tensor: Tensor, ...index: number[]): Float32Array {
  const { shape, data } = tensor;
  if (index.length !== shape.length - 1) throw new TraceError(`need ${shape.length - 1} indices for shape [${shape.join(', ')}], got ${index.length}`);
  let offset = 0;
  for (let axis = 0; axis < index.length; axis++) {
    const i = index[axis]!;
    if (!Number.isInteger(i) || i < 0 || i >= shape[axis]!) throw new TraceError(`index ${i} out of range for axis ${axis} of shape [${shape.join(', ')}]`);
    offset = offset * shape[axis]! + i;
  }
  const width = shape[shape.length - 1]!;
  return Float32Array.from(data.subarray(offset * width, offset * width + width));
}

/** Hooks of the final LayerNorm. */
export type LnFinalHook = 'hook_scale' | 'hook_normalized' | 'hook_out';

/** Every hook name a trace can hold: the one type that readers and writers of tensors use. */
export type HookName = 'hook_embed' | 'hook_pos_embed' | `blocks.${number}.${BlockHook}` | `ln_final.${LnFinalHook}` | 'logits' | 'tokens' | 'decode.probs';

/** Every tensor name a trace holds: its hooks and its analyses. A misspelt name does not compile. */
export type TensorName = HookName | AnalysisTensorName;

/** Hook names, spelt as TransformerLens spells them. */
export const hook = {
  embed: 'hook_embed',
  posEmbed: 'hook_pos_embed',
  block: <const H extends BlockHook>(layer: number, name: H): `blocks.${number}.${H}` => `blocks.${layer}.${name}`,
  lnFinal: <const H extends LnFinalHook>(name: H): `ln_final.${H}` => `ln_final.${name}`,
  logits: 'logits',
  tokens: 'tokens',
  decodeProbs: 'decode.probs',
} as const;

export const BLOCK_HOOKS = [
  'hook_resid_pre',
  'ln1.hook_scale',
  'ln1.hook_normalized',
  'ln1.hook_out',
  'attn.hook_q',
  'attn.hook_k',
  'attn.hook_v',
  'attn.hook_attn_scores',
  'attn.hook_pattern',
  'attn.hook_z',
  'attn.hook_result',
  'hook_attn_out',
  'hook_resid_mid',
  'ln2.hook_scale',
  'ln2.hook_normalized',
  'ln2.hook_out',
  'mlp.hook_pre',
  'mlp.hook_post',
  'hook_mlp_out',
  'hook_resid_post',
] as const;
export type BlockHook = (typeof BLOCK_HOOKS)[number];

/**
 * Hooks TransformerLens has no name for. `lnX.hook_out` is the LayerNorm's output after γ and β
 * (what the sublayer actually reads); TransformerLens folds γ and β into the next weights instead.
 */
export const EXTRA_HOOKS: ReadonlySet<string> = new Set(['ln1.hook_out', 'ln2.hook_out', 'ln_final.hook_out', 'tokens', 'decode.probs']);

function parseJson<T>(metadata: Record<string, string>, key: string): T | undefined {
  const raw = metadata[key];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new TraceError(`metadata ${key} is not valid JSON`);
  }
}

/** A trace's non-tensor parts as safetensors string metadata. */
export function traceMetadata(trace: Trace): Record<string, string> {
  const metadata: Record<string, string> = {
    format: TRACE_FORMAT,
    config: JSON.stringify(trace.config),
    prompt: trace.prompt,
    tokens: JSON.stringify(trace.tokens),
    logit_positions: JSON.stringify(trace.logitPositions),
    engine: JSON.stringify(trace.engine),
    created: trace.created,
  };
  if (trace.decode) metadata['decode'] = JSON.stringify(trace.decode);
  for (const key of ANALYSIS_METADATA_KEYS) {
    const value = trace.analysis.metadata[key];
    if (value !== undefined) metadata[key] = JSON.stringify(value);
  }
  return metadata;
}

/** Serialises a trace as safetensors: tensors by hook name, everything else as JSON metadata. */
export function encodeTrace(trace: Trace): Uint8Array {
  return encodeSafetensors(trace.tensors, traceMetadata(trace));
}

/**
 * Reads a trace from safetensors bytes. Besides our own files this accepts a file written from
 * Python (TransformerLens's run_with_cache, batch dimension removed) whose metadata holds `config`
 * (HF or TransformerLens field names) and the tokens as `tokens` metadata or an int `tokens` tensor.
 * Tensors are views of `bytes` where aligned, decoded and checked on first use (see `traceFromHeader`).
 */
export function decodeTrace(bytes: Uint8Array): Trace {
  const headerLength = readHeaderLength(bytes, bytes.length);
  const header = parseHeader(bytes.subarray(8, 8 + headerLength), bytes.length);
  return traceFromHeader(header, (entry) => tensorView(entry, bytes, header.dataOffset));
}

/**
 * A trace over a safetensors header, with `read` fetching one tensor's data. Everything but the bulk
 * is checked now: the names and shapes against the config, the tokens, the metadata and the analysis
 * section. Each other tensor is read and its values checked (finite, probabilities in [0, 1]) when
 * first asked for, so opening a full-context trace costs its header, and a bad value is refused, with
 * one line naming the tensor (and `source`, the file), before anything is drawn from it.
 */
export function traceFromHeader(header: SafetensorsHeader, read: (entry: TensorEntry) => Tensor, source?: string): Trace {
  // Errors name the file they came from, those raised on first use too.
  const named = <T>(f: () => T): T => {
    if (source === undefined) return f();
    try {
      return f();
    } catch (error) {
      throw new SafetensorsError(`${source}: ${(error as Error).message}`);
    }
  };
  const checked = (entry: TensorEntry): Tensor =>
    named(() => {
      const tensor = read(entry);
      checkTensorValues(entry.name, tensor);
      return tensor;
    });
  return named(() => assembleTrace(header, checked));
}

function assembleTrace(header: SafetensorsHeader, checked: (entry: TensorEntry) => Tensor): Trace {
  const metadata = { ...header.metadata };
  const config = checkTraceHeader(metadata, header.tensors);
  const idsEntry = header.tensors.find((e) => e.name === hook.tokens);
  const ids = idsEntry ? checked(idsEntry) : undefined;
  const tokens = readTokens(metadata, ids);
  checkTokens(tokens, config);
  if (ids && ids.data.some((id, i) => id !== tokens[i]!.id)) throw new TraceError('tensor tokens disagrees with metadata tokens');
  // The header check refused every name outside the trace format, so the names are TensorNames.
  const tensors = new LazyTensors<TensorName>(header.tensors, checked, [[hook.tokens, ids ?? { shape: [tokens.length], data: Int32Array.from(tokens, (t) => t.id) }]]);
  const decode = parseJson<DecodeRecord>(metadata, 'decode');
  const engine = parseJson<EngineInfo>(metadata, 'engine');
  const logitRows = header.tensors.find((e) => e.name === hook.logits)?.shape[0];
  const n = tokens.length;
  const logitPositions = parseJson<number[]>(metadata, 'logit_positions') ?? (logitRows === undefined ? [] : Array.from({ length: logitRows }, (_, i) => n - logitRows + i));
  checkTraceMetadata({ logitPositions, decode, engine }, n, logitRows, config);
  if (metadata['created'] && Number.isNaN(Date.parse(metadata['created']))) throw new TraceError(`metadata created is ${JSON.stringify(metadata['created'])}, not a date`);
  const analysis: Record<string, unknown> = {};
  for (const key of ANALYSIS_METADATA_KEYS) {
    const value = parseJson<unknown>(metadata, key);
    if (value !== undefined) analysis[key] = value;
  }
  return createTrace({
    analysis: analysis as AnalysisMetadata,
    config,
    tokens,
    tensors,
    created: metadata['created'] ?? '',
    logitPositions,
    ...(metadata['prompt'] === undefined ? {} : { prompt: metadata['prompt'] }),
    ...(engine ? { engine } : {}),
    ...(decode ? { decode } : {}),
  });
}

/**
 * The config of a saved trace, after its tensors' names and shapes were checked against it: enough
 * to refuse a file from its header alone, before its data is read.
 */
export function checkTraceHeader(metadata: Record<string, string>, entries: readonly { readonly name: string; readonly shape: readonly number[] }[]): ModelConfig {
  const rawConfig = parseJson<unknown>(metadata, 'config');
  if (rawConfig === undefined) throw new TraceError('metadata has no config: a trace needs the model config (JSON) to be drawn');
  const config = normalizeConfig(rawConfig, typeof metadata['model'] === 'string' ? metadata['model'] : 'model');
  const listed = parseJson<unknown>(metadata, 'tokens');
  const pos = Array.isArray(listed) ? listed.length : (entries.find((e) => e.name === hook.tokens)?.shape[0] ?? 0);
  if (pos === 0) throw new TraceError('the trace has no tokens');
  checkTraceLayout(config, pos, entries, entries.find((e) => e.name === hook.logits)?.shape[0]);
  return config;
}

export interface TraceParts {
  readonly config: ModelConfig;
  readonly tokens: readonly TokenInfo[];
  readonly tensors: ReadonlyMap<TensorName, Tensor>;
  readonly prompt?: string;
  readonly logitPositions?: readonly number[];
  readonly decode?: DecodeRecord;
  readonly engine?: EngineInfo;
  readonly created?: string;
  /** Metadata of the analysis section; its tensors are in `tensors`. */
  readonly analysis?: AnalysisMetadata;
}

/** Assembles a trace from its parts, filling defaults (for activations computed elsewhere). */
export function createTrace(parts: TraceParts): Trace {
  const logits = parts.tensors.get(hook.logits);
  const n = parts.tokens.length;
  const logitPositions = parts.logitPositions ?? (logits ? Array.from({ length: logits.shape[0]! }, (_, i) => n - logits.shape[0]! + i) : []);
  return {
    config: parts.config,
    prompt: parts.prompt ?? parts.tokens.map((t) => t.text).join(''),
    tokens: parts.tokens,
    tensors: parts.tensors,
    logitPositions,
    engine: parts.engine ?? { name: 'external', version: 'unknown', mode: 'external' },
    created: parts.created ?? '',
    analysis: readAnalysisOrFail(parts, n),
    ...(parts.decode ? { decode: parts.decode } : {}),
  };
}

function readAnalysisOrFail(parts: TraceParts, n: number): TraceAnalysis {
  try {
    return readAnalysis(parts.tensors, parts.analysis ?? {}, parts.config, n);
  } catch (error) {
    throw new TraceError((error as Error).message);
  }
}

function readTokens(metadata: Record<string, string>, ids: Tensor | undefined): TokenInfo[] {
  const fromMetadata = parseJson<unknown[]>(metadata, 'tokens');
  if (Array.isArray(fromMetadata)) {
    return fromMetadata.map((t, i) => {
      if (typeof t === 'number') return { id: t, display: String(t), text: String(t), bytes: 0 };
      if (typeof t === 'object' && t !== null && typeof (t as TokenInfo).id === 'number') {
        const info = t as Partial<TokenInfo> & { id: number };
        const text = info.text ?? info.display ?? String(info.id);
        return { ...info, id: info.id, text, display: info.display ?? text, bytes: info.bytes ?? new TextEncoder().encode(text).length };
      }
      throw new TraceError(`metadata tokens[${i}] is neither an id nor a token object`);
    });
  }
  if (!ids) return [];
  const strings = parseJson<string[]>(metadata, 'token_strings') ?? [];
  return Array.from(ids.data, (id, i) => {
    const text = strings[i] ?? String(id);
    return { id, text, display: text, bytes: new TextEncoder().encode(text).length };
  });
}

const graphs = new WeakMap<object, Graph>();

/**
 * The vector-level computation graph of a trace, built on first request and kept while the trace
 * lives. No trace pays for it unasked: on GPT-2 small it has 794k edges at 64 tokens and 39M at 512.
 */
export function traceGraph(trace: Pick<Trace, 'config' | 'tokens' | 'logitPositions'>): Graph {
  let graph = graphs.get(trace);
  if (!graph) graphs.set(trace, (graph = buildGraph(trace.config, trace.tokens.length, trace.logitPositions)));
  return graph;
}

export { SafetensorsError };

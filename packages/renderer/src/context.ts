/** Everything a stage needs to draw: the trace, resolved options, accessors and the TeX registry. */
import { decodeNextToken, DEFAULT_DECODE, hook, parameterCounts, type DecodeRecord, type HookName, type ModelConfig, type ParameterCounts, type Tensor, type Trace } from '@vectorview/trace';
import { annotation, templateValues, type Annotation } from './annotations.js';
import type { TexRegistry } from './math.js';
import { shownPositions, type ShownPositions } from './positions.js';

export interface ResolvedOptions {
  readonly head: number;
  readonly layer: number;
  readonly allLayers: boolean;
  readonly headGrid: boolean;
  readonly componentsDrawn: number;
  readonly date: string;
  readonly version: string;
  readonly tokenText: (id: number) => string;
  /** How much of each annotation is printed: all of it, its points without the body, or only its summary line. */
  readonly prose: Prose;
  /** Sentences saying how this page condensed the poster to keep its type legible (the title stage prints them). */
  readonly condensed: readonly string[];
}

export type Prose = 'full' | 'points' | 'summary';

export interface Ctx {
  readonly trace: Trace;
  readonly config: ModelConfig;
  readonly params: ParameterCounts;
  readonly opts: ResolvedOptions;
  readonly tex: TexRegistry;
  readonly nTokens: number;
  /** The positions the per-position drawings show (all of them up to MAX_POSITIONS). */
  readonly shown: ShownPositions;
  readonly decode: DecodeRecord;
  readonly values: Record<string, string | number>;
  tensor(name: HookName): Tensor | undefined;
  /** Row `index` of a tensor's leading axes, as a subarray view. */
  row(name: HookName, ...index: number[]): Float32Array | undefined;
  note(id: string): Annotation;
  /** Display form of a token id for the logits and the decoding table. */
  tokenLabel(id: number): string;
}

export function vectorOf(tensor: Tensor | undefined, ...index: number[]): Float32Array | undefined {
  if (!tensor) return undefined;
  const { shape, data } = tensor;
  if (index.length !== shape.length - 1) return undefined;
  let offset = 0;
  for (let axis = 0; axis < index.length; axis++) {
    const i = index[axis]!;
    if (i < 0 || i >= shape[axis]!) return undefined;
    offset = offset * shape[axis]! + i;
  }
  const width = shape[shape.length - 1]!;
  return (data as Float32Array).subarray(offset * width, offset * width + width);
}

/** The annotation as printed at a prose level (speaker notes and sources stay whole). */
function shorten(a: Annotation, prose: Prose): Annotation {
  if (prose === 'full') return a;
  return { ...a, body: '', points: prose === 'points' ? a.points : [] };
}

/** `titles`: each stage's own title, used where the content package has no annotation for it. */
export function createContext(trace: Trace, opts: ResolvedOptions, tex: TexRegistry, titles: ReadonlyMap<string, string>): Ctx {
  const tensors = trace.tensors;
  let decode = trace.decode;
  if (!decode) {
    const logits = tensors.get(hook.logits);
    const last = logits ? vectorOf(logits, logits.shape[0]! - 1) : undefined;
    decode = last ? decodeNextToken(last, DEFAULT_DECODE).record : { settings: DEFAULT_DECODE, kept: { top_k: 0, top_p: 0 }, candidates: [], chosen: { id: 0, logit: 0, prob: 0 }, draw: null };
  }
  const values = templateValues(trace, opts.componentsDrawn);
  const notes = new Map<string, Annotation>();
  const byId = new Map(trace.tokens.map((t) => [t.id, t.display] as const));
  // Beside the first and last positions, keep the one the drawn head's last query reads most.
  const n = trace.tokens.length;
  const pattern = tensors.get(hook.block(opts.layer, 'attn.hook_pattern'));
  let mostRead = 0;
  if (pattern && n > 0) {
    const row = vectorOf(pattern, Math.min(opts.head, trace.config.n_head - 1), n - 1);
    if (row) for (let k = 1; k < row.length; k++) if (row[k]! > row[mostRead]!) mostRead = k;
  }
  return {
    trace,
    config: trace.config,
    params: parameterCounts(trace.config),
    opts,
    tex,
    nTokens: n,
    shown: shownPositions(n, [n - 1, mostRead]),
    decode,
    values,
    tensor: (name) => tensors.get(name),
    row: (name, ...index) => vectorOf(tensors.get(name), ...index),
    note(id) {
      let a = notes.get(id);
      if (!a) notes.set(id, (a = shorten(annotation(id, values, titles.get(id)), opts.prose)));
      return a;
    },
    tokenLabel(id) {
      const text = opts.tokenText(id);
      return text === `#${id}` && byId.has(id) ? byId.get(id)! : text;
    },
  };
}

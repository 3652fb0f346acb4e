/** The model dimensions everything else is drawn from, normalised from HF or TransformerLens configs. */
export interface ModelConfig {
  /** A human name for the model, e.g. "gpt2" or "random:tiny". */
  readonly name: string;
  readonly n_vocab: number;
  readonly n_context: number;
  readonly d_model: number;
  readonly n_head: number;
  readonly d_head: number;
  readonly d_mlp: number;
  readonly n_layer: number;
  readonly layer_norm_eps: number;
  readonly activation: 'gelu_new';
  readonly tied_embeddings: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * The largest dimensions accepted: GPT-2 XL's × 4. A config beyond them is refused before anything
 * is read or allocated (a corrupt `n_layer` of 10⁹ would otherwise exhaust memory).
 */
export const CONFIG_LIMITS = { n_vocab: 4 * 50257, n_context: 4 * 1024, d_model: 4 * 1600, n_head: 4 * 25, d_head: 4 * 1600, d_mlp: 4 * 6400, n_layer: 4 * 48 } as const;

function pick(json: Record<string, unknown>, keys: readonly string[]): unknown {
  for (const key of keys) if (json[key] !== undefined && json[key] !== null) return json[key];
  return undefined;
}

function positiveInt(json: Record<string, unknown>, keys: readonly string[], fallback?: number, limit?: keyof typeof CONFIG_LIMITS): number {
  const value = pick(json, keys) ?? fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigError(`config field ${keys[0]} must be a positive integer, ${value === undefined ? 'and is missing' : `got ${JSON.stringify(value)}`}`);
  }
  if (limit && value > CONFIG_LIMITS[limit]) throw new ConfigError(`config field ${keys[0]} is ${value}, beyond the ${CONFIG_LIMITS[limit]} this reader accepts (GPT-2 XL's × 4)`);
  return value;
}

/** TransformerLens and our own traces spell GELU "gelu_new"; HF accepts the synonyms below for the same tanh form. */
const TANH_GELU = new Set(['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast']);

/**
 * Accepts HuggingFace GPT-2 names (n_embd, n_head, n_layer, n_positions, vocab_size, n_inner),
 * TransformerLens names (d_model, n_heads, n_layers, n_ctx, d_vocab, d_mlp, d_head) or our own.
 */
export function normalizeConfig(json: unknown, name = 'model'): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError('config is not a JSON object');
  const c = json as Record<string, unknown>;
  const modelType = c['model_type'];
  if (typeof modelType === 'string' && modelType !== 'gpt2') throw new ConfigError(`model_type ${modelType} is not supported (only gpt2)`);
  const activation = pick(c, ['activation_function', 'act_fn', 'activation']) ?? 'gelu_new';
  if (typeof activation !== 'string' || !TANH_GELU.has(activation)) {
    throw new ConfigError(`activation ${JSON.stringify(activation)} is not supported: GPT-2 uses gelu_new (tanh approximation)`);
  }
  const d_model = positiveInt(c, ['d_model', 'n_embd', 'hidden_size'], undefined, 'd_model');
  const n_head = positiveInt(c, ['n_head', 'n_heads', 'num_attention_heads'], undefined, 'n_head');
  if (d_model % n_head !== 0) throw new ConfigError(`d_model ${d_model} is not divisible by n_head ${n_head}`);
  const eps = pick(c, ['layer_norm_eps', 'layer_norm_epsilon', 'eps']) ?? 1e-5;
  // ε is added to a variance: GPT-2 uses 1e-5; one of 1 or more would flatten every vector.
  if (typeof eps !== 'number' || !(eps > 0 && eps < 1)) throw new ConfigError(`layer_norm_epsilon must be a number between 0 and 1, got ${JSON.stringify(eps)}`);
  const tied = pick(c, ['tied_embeddings', 'tie_word_embeddings']) ?? true;
  return {
    name: typeof c['name'] === 'string' ? c['name'] : typeof c['model_name'] === 'string' ? c['model_name'] : name,
    n_vocab: positiveInt(c, ['n_vocab', 'vocab_size', 'd_vocab'], undefined, 'n_vocab'),
    n_context: positiveInt(c, ['n_context', 'n_positions', 'n_ctx'], undefined, 'n_context'),
    d_model,
    n_head,
    d_head: positiveInt(c, ['d_head'], d_model / n_head, 'd_head'),
    d_mlp: positiveInt(c, ['d_mlp', 'n_inner'], 4 * d_model, 'd_mlp'),
    n_layer: positiveInt(c, ['n_layer', 'n_layers', 'num_hidden_layers'], undefined, 'n_layer'),
    layer_norm_eps: eps,
    activation: 'gelu_new',
    tied_embeddings: tied === true,
  };
}

export interface ParameterCounts {
  readonly embedding: number;
  readonly positional: number;
  readonly attention: number;
  readonly mlp: number;
  readonly layerNorm: number;
  /** W_U when it is not tied to W_E; 0 for GPT-2. */
  readonly unembedding: number;
  readonly total: number;
}

/** Parameter counts by component, computed from the dimensions (GPT-2 small: 124,439,808 in all). */
export function parameterCounts(config: ModelConfig): ParameterCounts {
  const { n_vocab, n_context, d_model, n_head, d_head, d_mlp, n_layer } = config;
  const embedding = n_vocab * d_model;
  const positional = n_context * d_model;
  const attention = n_layer * (3 * (d_model * n_head * d_head + n_head * d_head) + n_head * d_head * d_model + d_model);
  const mlp = n_layer * (d_model * d_mlp + d_mlp + d_mlp * d_model + d_model);
  const layerNorm = (2 * n_layer + 1) * 2 * d_model;
  const unembedding = config.tied_embeddings ? 0 : d_model * n_vocab;
  return { embedding, positional, attention, mlp, layerNorm, unembedding, total: embedding + positional + attention + mlp + layerNorm + unembedding };
}

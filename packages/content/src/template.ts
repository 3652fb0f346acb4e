/** Values for the `{{placeholders}}` in stage Markdown. Numbers are printed with thousands separators. */
export type TemplateValues = Readonly<Record<string, string | number>>;

/**
 * Every placeholder the content may use. The renderer fills them from the loaded model's config and the trace,
 * so no dimension is ever written into the prose as a literal.
 */
export const PLACEHOLDERS: readonly string[] = Object.freeze([
  'n_vocab', // vocabulary size (rows of W_E)
  'n_context', // longest input the positional table allows (rows of W_P)
  'd_model', // width of the residual stream
  'n_head', // attention heads per layer
  'd_head', // width of one head's query, key, value and result vectors
  'd_mlp', // hidden neurons per MLP
  'n_layer', // number of layers (attention + MLP blocks)
  'n_tokens', // tokens in the prompt
  'model_name', // human name of the loaded model, e.g. "gpt2"
  'params_total', // all parameters, tied W_E / W_U counted once
  'params_embedding', // parameters in W_E alone
  'params_embedding_share', // params_embedding / params_total as a percentage string, e.g. "31%"
  'params_mlp_share', // all MLP weights and biases / params_total, e.g. "46%"
  'params_attention_share', // all attention weights and biases / params_total, e.g. "23%"
  'components_drawn', // how many components of each d_model vector the poster draws, in words: "all 64" or "128 of 768"
  'n_merges', // BPE merges the model's vocabulary holds: n_vocab − 256 byte tokens − 1 special token
]);

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });

function format(value: string | number): string {
  if (typeof value === 'string') return value;
  return Number.isFinite(value) ? numberFormat.format(value) : String(value);
}

/** The distinct placeholder names in `markdown`, in order of first appearance. */
export function placeholdersIn(markdown: string): string[] {
  const names: string[] = [];
  for (const match of markdown.matchAll(PLACEHOLDER)) {
    const name = match[1];
    if (name !== undefined && !names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * Replaces every `{{key}}` in `markdown` with `values[key]`. Numbers get thousands separators (50257 → "50,257");
 * strings are inserted as given. Throws an Error naming every key that has no value.
 */
export function fillTemplate(markdown: string, values: TemplateValues): string {
  const missing = placeholdersIn(markdown).filter((name) => !Object.hasOwn(values, name) || values[name] === undefined);
  if (missing.length > 0) {
    const list = missing.map((name) => `{{${name}}}`).join(', ');
    throw new Error(`fillTemplate: no value for placeholder${missing.length > 1 ? 's' : ''} ${list}`);
  }
  return markdown.replace(PLACEHOLDER, (_whole, name: string) => format(values[name] as string | number));
}

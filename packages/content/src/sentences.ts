/**
 * Sentences filled from a trace's analyses: every number in them is formatted from the data passed
 * in, never typed. The input shapes match @vectorview/trace's analysis views structurally
 * (`trace.analysis.attribution`, `.logitLens`, `.heads`, `.inductionProbe`, `.circuits`), so the
 * renderer passes them as they are; this package needs no dependency on the trace.
 */

/** How a token id is shown inside a sentence, e.g. 3649 → " new". */
export type TokenText = (id: number) => string;

export interface AttributionData {
  /** Row labels: embed, pos_embed, L{l}H{h}, {l}_attn_bias, {l}_mlp_out, final_ln_bias. */
  readonly components: readonly string[];
  readonly targets: ArrayLike<number>;
  /** [components, targets] row-major. */
  readonly directLogit: ArrayLike<number>;
}

export interface LogitLensData {
  /** Hook names: blocks.0.hook_resid_pre, then blocks.{l}.hook_resid_mid / hook_resid_post. */
  readonly points: readonly string[];
  readonly targets: ArrayLike<number>;
  readonly targetProbs: ArrayLike<number>;
  /** [points, targets]: 1 = the most probable token at that point. */
  readonly targetRanks: ArrayLike<number>;
  readonly topIds: ArrayLike<number>;
  readonly topProbs: ArrayLike<number>;
  readonly top: number;
}

export interface CircuitsData {
  readonly layer: number;
  readonly head: number;
  readonly criterion: 'largest_direct_attribution' | 'requested';
  readonly qk: ArrayLike<number>;
  readonly ov: ArrayLike<number>;
}

export type HeadRoleName = 'previous_token' | 'duplicate_token' | 'induction' | 'first_token';

/** The role names as a sentence says them. */
export const HEAD_ROLE_WORDS: Readonly<Record<HeadRoleName, string>> = Object.freeze({
  previous_token: 'previous-token',
  duplicate_token: 'duplicate-token',
  induction: 'induction',
  first_token: 'first-token',
});

/** A token in quotes, as the poster prints it: ' new'. */
export function quoteToken(text: string): string {
  return `'${text}'`;
}

/** A signed value with two decimals and a true minus sign: +3.95, −0.40. */
export function signed(value: number, digits = 2): string {
  const fixed = Math.abs(value).toFixed(digits);
  if (Number(fixed) === 0) return fixed;
  return `${value < 0 ? '−' : '+'}${fixed}`;
}

function plain(value: number, digits = 2): string {
  return value < 0 ? `−${Math.abs(value).toFixed(digits)}` : value.toFixed(digits);
}

/** A probability: two decimals, or two significant digits below 0.01 so a small one never prints as 0.00. */
export function probability(p: number): string {
  return p >= 0.01 || p === 0 ? p.toFixed(2) : p.toPrecision(2);
}

/** A component label as a reader says it: "2_mlp_out" → "MLP 2"; heads keep TransformerLens's L3H0. */
export function componentName(label: string): string {
  const layered = /^(\d+)_(mlp_out|attn_bias)$/.exec(label);
  if (layered) return layered[2] === 'mlp_out' ? `MLP ${layered[1]}` : `the attention bias of layer ${layered[1]}`;
  if (label === 'embed') return 'the token embedding';
  if (label === 'pos_embed') return 'the position embedding';
  if (label === 'final_ln_bias') return "the final LayerNorm's bias";
  return label;
}

/** A component label as a bar or a table cell shows it: "2_mlp_out" → "MLP 2", "0_attn_bias" → "attn bias 0"; heads keep L3H0. */
export function componentShortName(label: string): string {
  const layered = /^(\d+)_(mlp_out|attn_bias)$/.exec(label);
  if (layered) return layered[2] === 'mlp_out' ? `MLP ${layered[1]}` : `attn bias ${layered[1]}`;
  if (label === 'pos_embed') return 'pos embed';
  if (label === 'final_ln_bias') return 'final LN bias';
  return label;
}

const HEAD_LABEL = /^L(\d+)H(\d+)$/;

function column(a: AttributionData, tokenId: number): number[] {
  const t = Array.from(a.targets).indexOf(tokenId);
  if (t < 0) throw new Error(`token ${tokenId} is not an attribution target`);
  return a.components.map((_, row) => a.directLogit[row * a.targets.length + t]!);
}

function largest(values: readonly number[]): number {
  return values.reduce((best, v, i) => (v > values[best]! ? i : best), 0);
}

/** "MLP 0 writes +3.95 of the 5.79 logit of ' new'; the 16 heads together add +0.75." */
export function attributionSentence(a: AttributionData, tokenId: number, tokenText: TokenText): string {
  const values = column(a, tokenId);
  const logit = values.reduce((s, v) => s + v, 0);
  const top = largest(values);
  const heads = values.filter((_, i) => HEAD_LABEL.test(a.components[i]!));
  const headSum = heads.reduce((s, v) => s + v, 0);
  const topName = componentName(a.components[top]!);
  return `${topName.charAt(0).toUpperCase()}${topName.slice(1)} writes ${signed(values[top]!)} of the ${plain(logit)} logit of ${quoteToken(tokenText(tokenId))}; the ${heads.length} heads together add ${signed(headSum)}.`;
}

/** "' new' leads ' old' by 1.20; MLP 1 accounts for +0.90 of the gap." Undefined with fewer than two targets. */
export function logitDifferenceSentence(a: AttributionData, tokenText: TokenText): string | undefined {
  if (a.targets.length < 2) return undefined;
  const first = a.targets[0]!;
  const second = a.targets[1]!;
  const x = column(a, first);
  const y = column(a, second);
  const gap = x.map((v, i) => v - y[i]!);
  const total = gap.reduce((s, v) => s + v, 0);
  const top = largest(gap);
  return `${quoteToken(tokenText(first))} leads ${quoteToken(tokenText(second))} by ${plain(total)}; ${componentName(a.components[top]!)} accounts for ${signed(gap[top]!)} of the gap.`;
}

/** Where a logit-lens point sits, in words: "at the embeddings", "after layer 2's attention", "after layer 2". */
export function lensPointName(point: string): string {
  const match = /^blocks\.(\d+)\.hook_resid_(pre|mid|post)$/.exec(point);
  if (!match) return `at ${point}`;
  if (match[2] === 'pre') return Number(match[1]) === 0 ? 'at the embeddings' : `before layer ${match[1]}`;
  return match[2] === 'mid' ? `after layer ${match[1]}'s attention` : `after layer ${match[1]}`;
}

/** "' new' first leads after layer 1 and ends at p = 0.42." or, if it never leads, its final probability. */
export function logitLensSentence(lens: LogitLensData, tokenId: number, tokenText: TokenText): string {
  const t = Array.from(lens.targets).indexOf(tokenId);
  if (t < 0) throw new Error(`token ${tokenId} is not a logit-lens target`);
  const last = lens.points.length - 1;
  const final = lens.targetProbs[last * lens.targets.length + t]!;
  const token = quoteToken(tokenText(tokenId));
  const leads = lens.points.findIndex((_, k) => lens.topIds[k * lens.top] === tokenId);
  const rank = lens.targetRanks[last * lens.targets.length + t]!;
  if (leads < 0) return `${token} never leads the logit lens; at the end it ranks ${rank} with p = ${probability(final)}.`;
  return `${token} first leads ${lensPointName(lens.points[leads]!)} and ends at p = ${probability(final)}.`;
}

/**
 * "L2H1 is the clearest induction head on this prompt: 0.61, against 0.15 for uniform attention."
 * `scores` is [n_layer, n_head]; `uniform` is the score of uniform attention for the same role.
 */
export function headRoleSentence(role: HeadRoleName, scores: ArrayLike<number>, nHead: number, uniform: number): string {
  const values = Array.from(scores);
  const best = largest(values);
  return `L${Math.floor(best / nHead)}H${best % nHead} is the clearest ${HEAD_ROLE_WORDS[role]} head on this prompt: ${plain(values[best]!)}, against ${plain(uniform)} for uniform attention.`;
}

/** "On repeated random tokens, L1H3 scores 0.83 as an induction head (uniform attention: 0.04)." */
export function inductionProbeSentence(scores: ArrayLike<number>, nHead: number, uniform: number): string {
  const values = Array.from(scores);
  const best = largest(values);
  return `On repeated random tokens, L${Math.floor(best / nHead)}H${best % nHead} scores ${plain(values[best]!)} as an induction head (uniform attention: ${plain(uniform)}).`;
}

/**
 * Why this head is drawn in full: "L1H3 is drawn in full: of all 144 heads it writes the most toward
 * ' new' (+0.42)." `attribution` gives the value; `tokenId` is the decoded token.
 */
export function focusSentence(c: CircuitsData, a: AttributionData, tokenId: number, tokenText: TokenText): string {
  const name = `L${c.layer}H${c.head}`;
  const values = column(a, tokenId);
  const value = values[a.components.indexOf(name)]!;
  const heads = a.components.filter((label) => HEAD_LABEL.test(label)).length;
  const token = quoteToken(tokenText(tokenId));
  if (c.criterion === 'requested') return `${name} is drawn in full, as asked; it writes ${signed(value)} toward ${token}.`;
  return `${name} is drawn in full: of all ${heads} heads it writes the most toward ${token} (${signed(value)}).`;
}

/**
 * The OV circuit's strongest entry: "head L1H3 reads ' Mary' and writes toward ' Mary' (+2.40)".
 * `tokens` are the prompt's ids, in order (ov is [source j, target i]).
 */
export function ovSentence(c: CircuitsData, tokens: readonly number[], tokenText: TokenText): string {
  const n = tokens.length;
  const best = largest(Array.from({ length: n * n }, (_, k) => c.ov[k]!));
  const from = tokens[Math.floor(best / n)]!;
  const to = tokens[best % n]!;
  return `From the embeddings alone, head L${c.layer}H${c.head} reads ${quoteToken(tokenText(from))} and writes toward ${quoteToken(tokenText(to))} (${signed(c.ov[best]!)}).`;
}

/** The QK circuit's strongest pair: "From the embeddings alone, ' Mary' would give ' John' the highest score (3.10)." */
export function qkSentence(c: CircuitsData, tokens: readonly number[], tokenText: TokenText): string {
  const n = tokens.length;
  // Only pairs a query can actually score: keys at or before it.
  const best = largest(Array.from({ length: n * n }, (_, k) => (k % n <= Math.floor(k / n) ? c.qk[k]! : -Infinity)));
  const query = tokens[Math.floor(best / n)]!;
  const key = tokens[best % n]!;
  return `From the embeddings alone, head L${c.layer}H${c.head}'s highest score is ${quoteToken(tokenText(query))} looking at ${quoteToken(tokenText(key))} (${plain(c.qk[best]!)}).`;
}

/**
 * What a head reads at the last position: "At the last token, L2H1 puts 0.61 of its attention on
 * ' Mary' (position 3), the token after an earlier ' to'." `lastRow` is the pattern's last row.
 */
export function attentionSentence(layer: number, head: number, lastRow: ArrayLike<number>, tokens: readonly number[], tokenText: TokenText): string {
  const values = Array.from(lastRow);
  const key = largest(values);
  const last = tokens.length - 1;
  const afterCopy = key > 0 && key - 1 < last && tokens[key - 1] === tokens[last] ? `, the token after an earlier ${quoteToken(tokenText(tokens[last]!))}` : '';
  return `At the last token, L${layer}H${head} puts ${plain(values[key]!)} of its attention on ${quoteToken(tokenText(tokens[key]!))} (position ${key})${afterCopy}.`;
}

/** The annotation text of each stage, from @vectorview/content, filled with the loaded model's numbers. */
import { fillTemplate, stageContent, STAGE_IDS, type StageId } from '@vectorview/content';
import { parameterCounts, type Trace } from '@vectorview/trace';

export interface Annotation {
  readonly id: string;
  readonly title: string;
  readonly short: string;
  readonly body: string;
  readonly points: readonly string[];
  readonly notes: string;
  readonly sources: readonly { readonly key: string; readonly title: string; readonly url: string }[];
}

/** GPT-2's byte-level BPE starts from one token per byte value; merges and one special token make the rest. */
const BYTE_TOKENS = 256;

/** How many of a vector's components are drawn, in words: "all 64" or "128 of 768". */
export function componentsDrawn(drawn: number, total: number): string {
  const f = (v: number) => v.toLocaleString('en-US');
  return drawn >= total ? `all ${f(total)}` : `${f(drawn)} of ${f(total)}`;
}

function percent(part: number, total: number): string {
  return `${Math.round((100 * part) / total)}%`;
}

export function templateValues(trace: Trace, dDrawn: number): Record<string, string | number> {
  const c = trace.config;
  const p = parameterCounts(c);
  return {
    n_vocab: c.n_vocab,
    n_context: c.n_context,
    d_model: c.d_model,
    n_head: c.n_head,
    d_head: c.d_head,
    d_mlp: c.d_mlp,
    n_layer: c.n_layer,
    n_tokens: trace.tokens.length,
    model_name: c.name,
    params_total: p.total,
    params_embedding: p.embedding,
    params_embedding_share: percent(p.embedding, p.total),
    params_mlp_share: percent(p.mlp, p.total),
    params_attention_share: percent(p.attention, p.total),
    components_drawn: componentsDrawn(dDrawn, c.d_model),
    n_merges: Math.max(0, c.n_vocab - BYTE_TOKENS - 1),
  };
}

/** The filled annotation of a stage; a stage whose content is missing gets its title alone (never a crash). */
export function annotation(id: string, values: Record<string, string | number>, fallbackTitle: string = id): Annotation {
  const known = (STAGE_IDS as readonly string[]).includes(id);
  try {
    if (!known) throw new Error(`no content for ${id}`);
    const c = stageContent(id as StageId);
    const fill = (s: string) => fillTemplate(s, values);
    return {
      id,
      title: fill(c.title),
      short: fill(c.short),
      body: fill(c.body),
      points: c.points.map(fill),
      notes: fill(c.notes),
      sources: c.sources.map((s) => ({ key: s.key, title: s.title, url: s.url })),
    };
  } catch {
    return { id, title: fallbackTitle, short: '', body: '', points: [], notes: '', sources: [] };
  }
}

/**
 * The computation graph of a GPT-2 forward pass at the level of single vectors: which vectors,
 * weights and operations exist and what feeds what. It is a function of the config and the number
 * of tokens alone, so a renderer can draw the flow without knowing any transformer maths.
 */
import type { ModelConfig } from './config.js';
import { hook, type BlockHook, type HookName } from './trace.js';

export type NodeKind = 'vector' | 'weight' | 'operation';

export interface GraphNode {
  readonly id: string;
  readonly kind: NodeKind;
  /** Short label for drawing, e.g. "W_Q", "softmax", "q". */
  readonly label: string;
  /** The trace tensor holding this vector's values (vectors only). */
  readonly hook?: HookName;
  readonly layer?: number;
  readonly pos?: number;
  readonly head?: number;
  /** Length of the vector, or the weight's shape. */
  readonly dims: readonly number[];
  /** Which stage of the poster the node belongs to (see the renderer's stage ids). */
  readonly stage: string;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
}

export interface Graph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

/** Id of one vector: the hook name and its position (and head) indices. */
export function vectorId(hookName: HookName, pos: number, head?: number): string {
  return head === undefined ? `${hookName}[${pos}]` : `${hookName}[${pos},${head}]`;
}

export function buildGraph(config: ModelConfig, nTokens: number, logitPositions: readonly number[]): Graph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const add = (node: GraphNode) => {
    nodes.push(node);
    return node.id;
  };
  const link = (to: string, ...from: string[]) => {
    for (const f of from) edges.push({ from: f, to });
  };
  const { d_model, d_head, d_mlp, n_head, n_layer, n_vocab, n_context } = config;
  const positions = Array.from({ length: nTokens }, (_, p) => p);

  const wE = add({ id: 'W_E', kind: 'weight', label: 'W_E', dims: [n_vocab, d_model], stage: 'stage-embedding' });
  const wP = add({ id: 'W_P', kind: 'weight', label: 'W_P', dims: [n_context, d_model], stage: 'stage-positional' });
  let stream = positions.map((pos) => {
    const token = add({ id: `token[${pos}]`, kind: 'vector', label: 'token id', hook: hook.tokens, pos, dims: [1], stage: 'stage-tokenizer' });
    const lookupE = add({ id: `op:embed[${pos}]`, kind: 'operation', label: 'look up row', pos, dims: [], stage: 'stage-embedding' });
    link(lookupE, token, wE);
    const embed = add({ id: vectorId(hook.embed, pos), kind: 'vector', label: 'token embedding', hook: hook.embed, pos, dims: [d_model], stage: 'stage-embedding' });
    link(embed, lookupE);
    const lookupP = add({ id: `op:pos_embed[${pos}]`, kind: 'operation', label: 'look up row', pos, dims: [], stage: 'stage-positional' });
    link(lookupP, wP);
    const posEmbed = add({ id: vectorId(hook.posEmbed, pos), kind: 'vector', label: 'positional embedding', hook: hook.posEmbed, pos, dims: [d_model], stage: 'stage-positional' });
    link(posEmbed, lookupP);
    const sum = add({ id: `op:embed_sum[${pos}]`, kind: 'operation', label: '+', pos, dims: [], stage: 'stage-input-embeddings' });
    link(sum, embed, posEmbed);
    return sum;
  });

  /** `prefix` names the LayerNorm's weights; `out` is the hook of its output. */
  const layerNorm = (prefix: string, out: HookName, layer: number | undefined, stage: string, inputs: string[]) => {
    const gamma = add({ id: `${prefix}.w`, kind: 'weight', label: 'γ', ...(layer === undefined ? {} : { layer }), dims: [d_model], stage });
    const beta = add({ id: `${prefix}.b`, kind: 'weight', label: 'β', ...(layer === undefined ? {} : { layer }), dims: [d_model], stage });
    return inputs.map((input, pos) => {
      const op = add({ id: `op:${prefix}[${pos}]`, kind: 'operation', label: 'LayerNorm', ...(layer === undefined ? {} : { layer }), pos, dims: [], stage });
      link(op, input, gamma, beta);
      const normalised = add({ id: vectorId(out, pos), kind: 'vector', label: 'normalised', hook: out, ...(layer === undefined ? {} : { layer }), pos, dims: [d_model], stage });
      link(normalised, op);
      return normalised;
    });
  };

  for (let layer = 0; layer < n_layer; layer++) {
    const b = `blocks.${layer}`;
    const H = <const N extends BlockHook>(name: N) => hook.block(layer, name);
    const residPre = stream.map((from, pos) => {
      const id = add({ id: vectorId(H('hook_resid_pre'), pos), kind: 'vector', label: 'residual', hook: H('hook_resid_pre'), layer, pos, dims: [d_model], stage: 'stage-residual' });
      link(id, from);
      return id;
    });
    const ln1 = layerNorm(`${b}.ln1`, H('ln1.hook_out'), layer, 'stage-layernorm', residPre);
    const headOutputs: string[][] = positions.map(() => []);
    for (let head = 0; head < n_head; head++) {
      const at = { layer, head };
      const stage = 'stage-attention-head';
      const weights = Object.fromEntries(
        (['Q', 'K', 'V'] as const).map((m) => [m, add({ id: `${b}.attn.W_${m}[${head}]`, kind: 'weight', label: `W_${m}`, ...at, dims: [d_model, d_head], stage })]),
      ) as Record<'Q' | 'K' | 'V', string>;
      const wO = add({ id: `${b}.attn.W_O[${head}]`, kind: 'weight', label: 'W_O slice', ...at, dims: [d_head, d_model], stage });
      const qkv = positions.map((pos) =>
        Object.fromEntries(
          (['q', 'k', 'v'] as const).map((m) => {
            const op = add({ id: `op:${b}.attn.${m}[${pos},${head}]`, kind: 'operation', label: `× W_${m.toUpperCase()} + b`, ...at, pos, dims: [], stage });
            link(op, ln1[pos]!, weights[m.toUpperCase() as 'Q' | 'K' | 'V']);
            const v = add({ id: vectorId(H(`attn.hook_${m}`), pos, head), kind: 'vector', label: m, hook: H(`attn.hook_${m}`), ...at, pos, dims: [d_head], stage });
            link(v, op);
            return [m, v];
          }),
        ) as Record<'q' | 'k' | 'v', string>,
      );
      for (const pos of positions) {
        // Only the causal pairs (key ≤ query) exist: there is no masked half to draw.
        const keys = positions.slice(0, pos + 1);
        const dot = add({ id: `op:${b}.attn.scores[${pos},${head}]`, kind: 'operation', label: 'q·k / √d_head', ...at, pos, dims: [], stage });
        link(dot, qkv[pos]!.q, ...keys.map((k) => qkv[k]!.k));
        const scores = add({ id: vectorId(H('attn.hook_attn_scores'), pos, head), kind: 'vector', label: 'scores', hook: H('attn.hook_attn_scores'), ...at, pos, dims: [pos + 1], stage });
        link(scores, dot);
        const soft = add({ id: `op:${b}.attn.softmax[${pos},${head}]`, kind: 'operation', label: 'softmax', ...at, pos, dims: [], stage });
        link(soft, scores);
        const pattern = add({ id: vectorId(H('attn.hook_pattern'), pos, head), kind: 'vector', label: 'pattern', hook: H('attn.hook_pattern'), ...at, pos, dims: [pos + 1], stage });
        link(pattern, soft);
        const mix = add({ id: `op:${b}.attn.mix[${pos},${head}]`, kind: 'operation', label: 'weighted sum', ...at, pos, dims: [], stage });
        link(mix, pattern, ...keys.map((k) => qkv[k]!.v));
        const z = add({ id: vectorId(H('attn.hook_z'), pos, head), kind: 'vector', label: 'result', hook: H('attn.hook_z'), ...at, pos, dims: [d_head], stage });
        link(z, mix);
        const project = add({ id: `op:${b}.attn.project[${pos},${head}]`, kind: 'operation', label: '× W_O slice', ...at, pos, dims: [], stage });
        link(project, z, wO);
        const result = add({ id: vectorId(H('attn.hook_result'), pos, head), kind: 'vector', label: 'head output', hook: H('attn.hook_result'), ...at, pos, dims: [d_model], stage });
        link(result, project);
        headOutputs[pos]!.push(result);
      }
    }
    const bO = add({ id: `${b}.attn.b_O`, kind: 'weight', label: 'b_O', layer, dims: [d_model], stage: 'stage-attention' });
    const residMid = positions.map((pos) => {
      const sum = add({ id: `op:${b}.attn_sum[${pos}]`, kind: 'operation', label: 'Σ heads + b_O', layer, pos, dims: [], stage: 'stage-attention' });
      link(sum, ...headOutputs[pos]!, bO);
      const out = add({ id: vectorId(H('hook_attn_out'), pos), kind: 'vector', label: 'attention output', hook: H('hook_attn_out'), layer, pos, dims: [d_model], stage: 'stage-attention' });
      link(out, sum);
      const add1 = add({ id: `op:${b}.resid_mid[${pos}]`, kind: 'operation', label: '+', layer, pos, dims: [], stage: 'stage-residual' });
      link(add1, residPre[pos]!, out);
      const mid = add({ id: vectorId(H('hook_resid_mid'), pos), kind: 'vector', label: 'residual', hook: H('hook_resid_mid'), layer, pos, dims: [d_model], stage: 'stage-residual' });
      link(mid, add1);
      return mid;
    });
    const ln2 = layerNorm(`${b}.ln2`, H('ln2.hook_out'), layer, 'stage-layernorm', residMid);
    const wIn = add({ id: `${b}.mlp.W_in`, kind: 'weight', label: 'W_in', layer, dims: [d_model, d_mlp], stage: 'stage-mlp' });
    const wOut = add({ id: `${b}.mlp.W_out`, kind: 'weight', label: 'W_out', layer, dims: [d_mlp, d_model], stage: 'stage-mlp' });
    stream = positions.map((pos) => {
      const up = add({ id: `op:${b}.mlp.up[${pos}]`, kind: 'operation', label: '× W_in + b_in', layer, pos, dims: [], stage: 'stage-mlp' });
      link(up, ln2[pos]!, wIn);
      const pre = add({ id: vectorId(H('mlp.hook_pre'), pos), kind: 'vector', label: 'pre-activation', hook: H('mlp.hook_pre'), layer, pos, dims: [d_mlp], stage: 'stage-mlp' });
      link(pre, up);
      const gelu = add({ id: `op:${b}.mlp.gelu[${pos}]`, kind: 'operation', label: 'GELU', layer, pos, dims: [], stage: 'stage-mlp' });
      link(gelu, pre);
      const post = add({ id: vectorId(H('mlp.hook_post'), pos), kind: 'vector', label: 'activation', hook: H('mlp.hook_post'), layer, pos, dims: [d_mlp], stage: 'stage-mlp' });
      link(post, gelu);
      const down = add({ id: `op:${b}.mlp.down[${pos}]`, kind: 'operation', label: '× W_out + b_out', layer, pos, dims: [], stage: 'stage-mlp' });
      link(down, post, wOut);
      const out = add({ id: vectorId(H('hook_mlp_out'), pos), kind: 'vector', label: 'MLP output', hook: H('hook_mlp_out'), layer, pos, dims: [d_model], stage: 'stage-mlp' });
      link(out, down);
      const add2 = add({ id: `op:${b}.resid_post[${pos}]`, kind: 'operation', label: '+', layer, pos, dims: [], stage: 'stage-residual' });
      link(add2, residMid[pos]!, out);
      const postResid = add({ id: vectorId(H('hook_resid_post'), pos), kind: 'vector', label: 'residual', hook: H('hook_resid_post'), layer, pos, dims: [d_model], stage: 'stage-residual' });
      link(postResid, add2);
      return postResid;
    });
  }

  const lnFinal = layerNorm('ln_final', hook.lnFinal('hook_out'), undefined, 'stage-unembed', stream);
  const wU = add({ id: 'W_U', kind: 'weight', label: config.tied_embeddings ? 'W_Eᵀ' : 'W_U', dims: [d_model, n_vocab], stage: 'stage-unembed' });
  if (config.tied_embeddings) link(wU, wE);
  for (const pos of logitPositions) {
    const op = add({ id: `op:unembed[${pos}]`, kind: 'operation', label: '× W_U', pos, dims: [], stage: 'stage-unembed' });
    link(op, lnFinal[pos]!, wU);
    const logits = add({ id: vectorId(hook.logits, pos), kind: 'vector', label: 'logits', hook: hook.logits, pos, dims: [n_vocab], stage: 'stage-unembed' });
    link(logits, op);
    if (pos === nTokens - 1) {
      const decode = add({ id: 'op:decode', kind: 'operation', label: 'temperature → top-k → top-p → softmax → choose', pos, dims: [], stage: 'stage-decoding' });
      link(decode, logits);
      const probs = add({ id: 'decode.probs', kind: 'vector', label: 'next-token probabilities', hook: hook.decodeProbs, pos, dims: [n_vocab], stage: 'stage-decoding' });
      link(probs, decode);
    }
  }
  return { nodes, edges };
}

/** Nodes that feed the given node directly. */
export function inputsOf(graph: Graph, id: string): GraphNode[] {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  return graph.edges.filter((e) => e.to === id).flatMap((e) => byId.get(e.from) ?? []);
}

/**
 * Saved traces mutated a few hundred ways (seeded): each is either refused with one line naming the
 * tensor or field (by decodeTrace, or while drawing, since a tensor's values are checked when first
 * read), or drawn with no "undefined" or "NaN" anywhere in the SVG.
 */
import { randomLcg } from 'd3-random';
import { describe, expect, it } from 'vitest';
import { ConfigError, decodeNextToken, DEFAULT_DECODE, decodeSafetensors, DecodeError, decodeTrace, encodeSafetensors, encodeTrace, SafetensorsError, TraceError, type Tensor } from '@vectorview/trace';
import { renderPoster } from './index.js';
import { fixtureTrace, tokenText } from './test-support/fixture-trace.js';

type Json = Record<string, unknown>;
interface Parts {
  metadata: Record<string, string>;
  tensors: Map<string, Tensor>;
}

/** The fixture's 3-token trace with the decoding step a CLI-written trace carries. */
const base = (() => {
  const trace = fixtureTrace(0);
  const logits = trace.tensors.get('logits')!;
  const width = logits.shape[1]!;
  const { record, probs } = decodeNextToken(logits.data.subarray(logits.data.length - width), DEFAULT_DECODE);
  const tensors = new Map(trace.tensors).set('decode.probs', { shape: [width], data: probs });
  return encodeTrace({ ...trace, tensors, decode: record, created: '2024-06-11T12:00:00.000Z' });
})();
const rng = randomLcg(0x5eed);
const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;

function parts(): Parts {
  const { metadata, tensors } = decodeSafetensors(base);
  return { metadata: { ...metadata }, tensors };
}
/** A metadata value as JSON; one an earlier round broke reads as an empty object. */
const json = (p: Parts, key: string): unknown => {
  try {
    return JSON.parse(p.metadata[key] ?? '{}') as unknown;
  } catch {
    return {};
  }
};
const list = (p: Parts, key: string): Json[] => {
  const v = json(p, key);
  return Array.isArray(v) ? (v as Json[]) : [];
};
const setJson = (p: Parts, key: string, value: unknown) => (p.metadata[key] = JSON.stringify(value));

const WILD: readonly unknown[] = [0, -1, 1.5, 1e6, 1e9, 1e300, -1e300, '', 'x', '5', null, true, [], {}, [1, 2], 8, 3, 2, 31, 50258, 1e-320, -0];
const CONFIG_FIELDS = ['n_vocab', 'n_context', 'd_model', 'n_head', 'd_head', 'd_mlp', 'n_layer', 'layer_norm_eps', 'activation', 'tied_embeddings', 'name'];

/** One mutation of a valid saved trace, described. */
const MUTATIONS: readonly ((p: Parts) => string)[] = [
  (p) => {
    const f = pick(CONFIG_FIELDS);
    const v = pick(WILD);
    setJson(p, 'config', { ...(json(p, 'config') as Json), [f]: v });
    return `config.${f} = ${JSON.stringify(v)}`;
  },
  (p) => {
    const tokens = list(p, 'tokens');
    const i = int(0, Math.max(0, tokens.length - 1));
    const f = pick(['id', 'text', 'display', 'bytes']);
    const v = pick(WILD);
    tokens[i] = { ...tokens[i], [f]: v };
    setJson(p, 'tokens', tokens);
    return `tokens[${i}].${f} = ${JSON.stringify(v)}`;
  },
  (p) => {
    const v = pick<unknown>([[], [0], [5], [-1], [2, 1], [0, 0, 0], ['2'], 2, null, [2.5], [99]]);
    setJson(p, 'logit_positions', v);
    return `logit_positions = ${JSON.stringify(v)}`;
  },
  (p) => {
    const decode = { settings: {}, chosen: {}, ...(json(p, 'decode') as Json) } as Json & { settings: Json; chosen: Json };
    const where = pick(['settings', 'chosen', 'top']);
    const v = pick(WILD);
    if (where === 'settings') decode.settings = { ...decode.settings, [pick(['temperature', 'top_k', 'top_p', 'seed', 'strategy'])]: v };
    else if (where === 'chosen') decode.chosen = { ...decode.chosen, [pick(['id', 'prob', 'logit'])]: v };
    else decode[pick(['draw', 'kept', 'candidates', 'settings', 'chosen'])] = v;
    setJson(p, 'decode', decode);
    return `decode.${where} mutated with ${JSON.stringify(v)}`;
  },
  (p) => {
    const v = pick<unknown>([5, null, 'x', {}, { name: 'e', version: '1', mode: 'x' }, { name: 5, version: '1', mode: 'batched' }, { name: 'e', version: '1', mode: 'batched', timings: { a: 'x' } }]);
    setJson(p, 'engine', v);
    return `engine = ${JSON.stringify(v)}`;
  },
  (p) => {
    const key = pick(['config', 'tokens', 'decode', 'engine', 'logit_positions']);
    p.metadata[key] = pick(['{', '', 'null', '[', 'NaN', '"x"']);
    return `metadata ${key} = ${JSON.stringify(p.metadata[key])}`;
  },
  (p) => {
    const name = pick([...p.tensors.keys()].filter((n) => n !== 'tokens'));
    if (name === undefined) return 'nothing to corrupt';
    const t = p.tensors.get(name)!;
    const data = Float32Array.from(t.data);
    const i = int(0, data.length - 1);
    data[i] = pick([NaN, Infinity, -Infinity, 2, -1]);
    p.tensors.set(name, { shape: t.shape, data });
    return `${name}[${i}] = ${data[i]}`;
  },
  (p) => {
    const name = pick([...p.tensors.keys()]);
    if (name === undefined) return 'nothing to reshape';
    const t = p.tensors.get(name)!;
    const shape = [...t.shape].reverse();
    p.tensors.set(name, shape.join() === t.shape.join() ? { shape: [...shape, 1], data: t.data } : { shape, data: t.data });
    return `${name} reshaped to [${p.tensors.get(name)!.shape.join(', ')}]`;
  },
  (p) => {
    const name = pick([...p.tensors.keys()]);
    p.tensors.delete(name);
    return `${name} removed`;
  },
  (p) => {
    const name = `blocks.${pick([0, 2, 7])}.${pick(['hook_resid_pre', 'attn.hook_rot_q', 'hook_bogus'])}`;
    p.tensors.set(name, { shape: [3, 32], data: new Float32Array(96) });
    return `${name} added`;
  },
  (p) => {
    // Benign: text the poster prints, changed.
    const what = pick(['prompt', 'created', 'text']);
    if (what === 'prompt') p.metadata['prompt'] = pick(['', '<b>x</b>', '  ', '—'.repeat(int(1, 200))]);
    else if (what === 'created') p.metadata['created'] = pick(['', '2024-06-11T12:00:00.000Z', 'yesterday']);
    else setJson(p, 'tokens', list(p, 'tokens').map((t) => ({ ...t, text: pick(['<', '&', ' ', '\u0000']) })));
    return `${what} changed`;
  },
];

const CASES = Array.from({ length: 330 }, (_, i) => {
  const p = parts();
  const rounds = int(1, 2);
  const what = Array.from({ length: rounds }, () => pick(MUTATIONS)(p)).join('; ');
  return { i, what, bytes: encodeSafetensors(p.tensors, p.metadata) };
});

const ONE_LINE_ERRORS = [TraceError, SafetensorsError, ConfigError, DecodeError];

describe('mutated saved traces', () => {
  const outcome = { refused: 0, drawn: 0 };

  it.each(CASES)('case $i: $what', async ({ bytes }) => {
    let svg;
    try {
      // A tensor's values are checked when it is first read, so a bad value may be refused while drawing.
      ({ svg } = await renderPoster(decodeTrace(bytes), { size: 'web', tokenText }));
    } catch (error) {
      expect(ONE_LINE_ERRORS.some((E) => error instanceof E), String(error)).toBe(true);
      expect((error as Error).message).not.toMatch(/\n|undefined/);
      outcome.refused++;
      return;
    }
    // "NaN" as a word (not inside a base64 font or a token text the poster escapes).
    const text = svg.replace(/data:[^")]+/g, '');
    expect(text).not.toMatch(/undefined|\bNaN\b/);
    outcome.drawn++;
  }, 30_000);

  it('tried them all, and both outcomes occurred', () => {
    expect(outcome.refused + outcome.drawn).toBe(CASES.length);
    expect(outcome.refused).toBeGreaterThan(CASES.length / 2);
    expect(outcome.drawn).toBeGreaterThan(5);
    console.log(`mutated traces: ${outcome.refused} refused with one line, ${outcome.drawn} drawn cleanly`);
  });
});

/** The stages that draw the trace's analysis section: every printed number is read back and compared with the trace. */
import { attributionSentence, focusSentence, HEAD_ROLE_WORDS, headRoleSentence, inductionProbeSentence, logitDifferenceSentence, logitLensSentence, ovSentence, probability, qkSentence, signed } from '@vectorview/content';
import { analysisTensor, createTrace, decodeNextToken, DEFAULT_DECODE, HEAD_ROLES, normalizeConfig, uniformProbeScore, uniformRoleScore, type Tensor, type TensorName, type Trace } from '@vectorview/trace';
import type { Element } from '@xmldom/xmldom';
import { beforeAll, describe, expect, test } from 'vitest';
import { renderPoster, type Poster } from './index.js';
import { fmtProb } from './marks/attention.js';
import { ATTRIBUTION_BARS } from './stages/attribution.js';
import { fmtCircuit } from './stages/circuit.js';
import { attentionHeadStage } from './stages/attention-head.js';
import { headRolesStage } from './stages/head-roles.js';
import { ovCircuitStage } from './stages/ov-circuit.js';
import { qkCircuitStage } from './stages/qk-circuit.js';
import { fixtureTrace, syntheticTrace, tokenInfo, tokenText } from './test-support/fixture-trace.js';
import { all, parseSvg, textOf } from './test-support/xml.js';

const ANALYSIS_STAGES = ['stage-attribution', 'stage-logit-lens', 'stage-head-roles'] as const;

let trace: Trace;
let poster: Poster;
const stageGroup = (p: Poster, id: string): Element => {
  const found = all(parseSvg(p.svg), (e) => e.getAttribute('id') === id && e.getAttribute('class') === 'stage');
  expect(found, id).toHaveLength(1);
  return found[0]!;
};
const within = (root: Element, predicate: (e: Element) => boolean) => {
  const out: Element[] = [];
  const visit = (e: Element) => {
    if (predicate(e)) out.push(e);
    for (let c = e.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) visit(c as Element);
  };
  visit(root);
  return out;
};
/** Wrapped sentences are split over <text> lines: compare without whitespace. */
const squash = (s: string) => s.replace(/\s+/g, '');
const label = (id: number) => tokenText(id);

beforeAll(async () => {
  trace = fixtureTrace(2);
  poster = await renderPoster(trace, { size: 'web', tokenText });
});

describe('the analysis stages on the poster', () => {
  test('each appears once, registered after the decoding stage', () => {
    const ids = poster.stages.map((s) => s.id);
    for (const id of ANALYSIS_STAGES) {
      expect(ids.filter((x) => x === id), id).toHaveLength(1);
      stageGroup(poster, id);
    }
    expect(ids.slice(ids.indexOf('stage-decoding') + 1, ids.indexOf('stage-decoding') + 4)).toEqual([...ANALYSIS_STAGES]);
  });
});

describe('stage-attribution', () => {
  test("prints every component's share of the decoded token, sorted, equal to the trace's values", () => {
    const a = trace.analysis.attribution!;
    const decoded = decodedId();
    const t = Array.from(a.targets).indexOf(decoded);
    const bars = within(stageGroup(poster, 'stage-attribution'), (e) => e.getAttribute('class') === 'signed-bar' && e.getAttribute('data-target') === 'decoded');
    expect(bars).toHaveLength(a.components.length);
    const printed = bars.map((g) => ({ component: g.getAttribute('data-component')!, text: textOf(g.getElementsByTagName('text')[1]!) }));
    const expected = a.components.map((c, row) => ({ component: c, value: a.directLogit[row * a.targets.length + t]! })).sort((x, y) => y.value - x.value);
    expect(printed.map((p) => p.component)).toEqual(expected.map((e) => e.component));
    expect(printed.map((p) => p.text)).toEqual(expected.map((e) => signed(e.value)));
    // Labels as TransformerLens names them.
    expect(bars.map((g) => textOf(g.getElementsByTagName('text')[0]!))).toContain('MLP 1');
    expect(bars.map((g) => textOf(g.getElementsByTagName('text')[0]!))).toContain('L1H3');
  });

  test('checks both sums against the logits of the trace', () => {
    const a = trace.analysis.attribution!;
    const logits = trace.tensors.get('logits')!;
    const V = trace.config.n_vocab;
    const last = logits.data.subarray((logits.shape[0]! - 1) * V);
    const decoded = decodedId();
    const column = (id: number) => a.components.reduce((s, _, row) => s + a.directLogit[row * a.targets.length + Array.from(a.targets).indexOf(id)]!, 0);
    expect(column(decoded)).toBeCloseTo(last[decoded]!, 4);
    const sums = within(stageGroup(poster, 'stage-attribution'), (e) => e.getAttribute('class') === 'attribution-sum');
    const logitLine = textOf(sums.find((e) => e.getAttribute('data-kind') === 'logit')!);
    expect(logitLine).toBe(`sum of all ${a.components.length} shares ${signed(column(decoded))}; its logit in the trace ${signed(last[decoded]!)}: equal`);
    const [x, y] = [a.targets[0]!, a.targets[1]!];
    const gapLine = textOf(sums.find((e) => e.getAttribute('data-kind') === 'gap')!);
    expect(gapLine).toBe(`sum of all ${a.components.length} shares ${signed(column(x) - column(y))}; the logit difference ${signed(last[x]! - last[y]!)}: equal`);
  });

  test('says its sentences, filled from the values', () => {
    const text = squash(textOf(stageGroup(poster, 'stage-attribution')));
    const a = trace.analysis.attribution!;
    expect(text).toContain(squash(attributionSentence(a, decodedId(), label)));
    expect(text).toContain(squash(logitDifferenceSentence(a, label)!));
  });

  test('at GPT-2 size folds all but the largest shares into one "other" bar, and says how many', async () => {
    const big = syntheticTrace(6);
    const p = await renderPoster(big, { size: 'web', tokenText });
    const a = big.analysis.attribution!;
    const bars = within(stageGroup(p, 'stage-attribution'), (e) => e.getAttribute('class') === 'signed-bar' && e.getAttribute('data-target') === 'decoded');
    expect(bars).toHaveLength(ATTRIBUTION_BARS);
    const other = bars.find((g) => g.getAttribute('data-component') === 'other')!;
    const folded = Number(other.getAttribute('data-folded'));
    expect(folded).toBe(a.components.length - (ATTRIBUTION_BARS - 1));
    expect(textOf(other.getElementsByTagName('text')[0]!)).toBe(`other (${folded} components)`);
    // The drawn bars and "other" together are the whole logit.
    const total = bars.reduce((s, g) => s + Number(g.getAttribute('data-value')), 0);
    const t = Array.from(a.targets).indexOf(decodedIdOf(big));
    expect(total).toBeCloseTo(a.components.reduce((s, _, row) => s + a.directLogit[row * a.targets.length + t]!, 0), 3);
  }, 60000);
});

describe('stage-logit-lens', () => {
  test("prints the decoded token's probability and rank, and each point's top tokens, as in the trace", () => {
    const lens = trace.analysis.logitLens!;
    const decoded = decodedId();
    const t = Array.from(lens.targets).indexOf(decoded);
    const rows = within(stageGroup(poster, 'stage-logit-lens'), (e) => e.getAttribute('class') === 'lens-row');
    expect(rows.map((r) => r.getAttribute('data-point'))).toEqual([...lens.points]);
    rows.forEach((row, p) => {
      const prob = within(row, (e) => e.getAttribute('class') === 'lens-prob')[0]!;
      expect(textOf(prob)).toBe(probability(lens.targetProbs[p * lens.targets.length + t]!));
      expect(textOf(within(row, (e) => e.getAttribute('class') === 'lens-rank')[0]!)).toBe(lens.targetRanks[p * lens.targets.length + t]!.toLocaleString('en-US'));
      const tops = within(row, (e) => e.getAttribute('class') === 'lens-top');
      expect(tops.map((e) => Number(e.getAttribute('data-token-id')))).toEqual(Array.from(lens.topIds.subarray(p * lens.top, (p + 1) * lens.top)));
      expect(tops.map(textOf)).toEqual(Array.from(lens.topProbs.subarray(p * lens.top, (p + 1) * lens.top), (v) => probability(v)));
    });
    expect(squash(textOf(stageGroup(poster, 'stage-logit-lens')))).toContain(squash(logitLensSentence(lens, decoded, label)));
  });
});

describe('stage-head-roles', () => {
  test('colours every head by its strongest role, printing that score and the probe score beside it', () => {
    const heads = trace.analysis.heads!;
    const probe = trace.analysis.inductionProbe!;
    const { n_layer: L, n_head: H } = trace.config;
    const group = stageGroup(poster, 'stage-head-roles');
    const roleTexts = within(group, (e) => e.tagName === 'text' && e.hasAttribute('data-head'));
    expect(roleTexts).toHaveLength(L * H);
    for (const e of roleTexts) {
      const [, l, h] = /^L(\d+)H(\d+)$/.exec(e.getAttribute('data-head')!)!.map(Number);
      const i = l! * H + h!;
      const best = HEAD_ROLES.reduce((b, role) => (heads[role][i]! > heads[b][i]! ? role : b), HEAD_ROLES[0]);
      expect(e.getAttribute('data-role')).toBe(best);
      expect(textOf(e)).toBe(`${best === 'previous_token' ? 'P' : best === 'duplicate_token' ? 'D' : best === 'induction' ? 'I' : 'F'} ${fmtProb(heads[best][i]!)}`);
    }
    const probeTexts = within(group, (e) => e.tagName === 'text' && e.hasAttribute('data-probe'));
    expect(probeTexts.map(textOf)).toEqual(Array.from(probe.scores, fmtProb));
    const text = squash(textOf(group));
    const tokens = trace.tokens.map((tk) => tk.id);
    for (const role of HEAD_ROLES) {
      const uniform = uniformRoleScore(role, tokens);
      if (uniform > 0) expect(text).toContain(squash(headRoleSentence(role, heads[role], H, uniform)));
      else expect(text).toContain(squash(HEAD_ROLE_WORDS[role]));
    }
    expect(text).toContain(squash(inductionProbeSentence(probe.scores, H, uniformProbeScore(probe.repeat))));
  });

  test('fits gpt2-xl’s 48 × 25 heads inside its frame', async () => {
    const xl = headScoreTrace(48, 25);
    const p = await renderPoster(xl, { stages: [headRolesStage], tokenText });
    const box = p.stages[0]!;
    const cells = within(stageGroup(p, 'stage-head-roles'), (e) => e.tagName === 'rect' && (e.hasAttribute('data-head') || e.hasAttribute('data-probe')));
    expect(cells).toHaveLength(2 * 48 * 25);
    const grids = box.elements.filter((e) => e.id === 'grid-head-roles' || e.id === 'grid-head-probe');
    expect(grids).toHaveLength(2);
    for (const { box: g } of grids) {
      expect(g.x).toBeGreaterThanOrEqual(box.x);
      expect(g.x + g.width).toBeLessThanOrEqual(box.x + box.width);
      expect(g.y + g.height).toBeLessThanOrEqual(box.y + box.height);
    }
    // Side by side, not overlapping.
    expect(grids[0]!.box.x + grids[0]!.box.width).toBeLessThanOrEqual(grids[1]!.box.x);
    expect(box.height).toBeLessThan(2400);
  }, 60000);
});

describe('the QK and OV circuit stages', () => {
  test("draw the trace's circuits.qk and circuits.ov with their values", () => {
    const c = trace.analysis.circuits!;
    const n = trace.tokens.length;
    for (const [id, name, matrix] of [['stage-qk-circuit', 'qk', c.qk], ['stage-ov-circuit', 'ov', c.ov]] as const) {
      const cells = within(stageGroup(poster, id), (e) => e.hasAttribute(`data-${name}`));
      expect(cells).toHaveLength(n * n);
      for (const e of cells) {
        const [r, col] = e.getAttribute(`data-${name}`)!.split(',').map(Number);
        expect(textOf(e)).toBe(fmtCircuit(matrix[r! * n + col!]!));
      }
    }
    const ids = trace.tokens.map((t) => t.id);
    expect(squash(textOf(stageGroup(poster, 'stage-qk-circuit')))).toContain(squash(qkSentence(c, ids, label)));
    expect(squash(textOf(stageGroup(poster, 'stage-ov-circuit')))).toContain(squash(ovSentence(c, ids, label)));
  });

  test('elide the middle positions of a long prompt, keeping the first and the last', async () => {
    const long = syntheticTrace(40);
    const p = await renderPoster(long, { stages: [qkCircuitStage, ovCircuitStage], tokenText });
    const cells = within(stageGroup(p, 'stage-qk-circuit'), (e) => e.hasAttribute('data-qk'));
    const rows = [...new Set(cells.map((e) => Number(e.getAttribute('data-qk')!.split(',')[0])))];
    expect(rows.length).toBeLessThan(40);
    expect(rows[0]).toBe(0);
    expect(rows.at(-1)).toBe(39);
    expect(squash(textOf(stageGroup(p, 'stage-qk-circuit')))).toContain(squash(`Only ${rows.length} of the 40 positions are drawn`));
  }, 60000);
});

describe('stage-attention-head', () => {
  test("opens the analysis's head unless the options ask for another, and returns which", async () => {
    const c = trace.analysis.circuits!;
    expect(poster.drawn).toEqual({ layer: c.layer, head: c.head });
    const other = (c.head + 1) % trace.config.n_head;
    const asked = await renderPoster(trace, { stages: [attentionHeadStage], head: other, tokenText });
    expect(asked.drawn).toEqual({ layer: c.layer, head: other });
    expect(squash(textOf(stageGroup(asked, 'stage-attention-head')))).toContain(squash(`L${c.layer}H${other} is drawn in full because the poster's options ask for it (the trace's analysis chose L${c.layer}H${c.head}).`));
  }, 60000);

  test('says why this head was opened, from the analysis', () => {
    const c = trace.analysis.circuits!;
    expect(squash(textOf(stageGroup(poster, 'stage-attention-head')))).toContain(squash(focusSentence(c, trace.analysis.attribution!, decodedId(), label)));
  });
});

/** The token the poster explains: the trace's decoding step, or the default decoding of its last logits, as the renderer does. */
function decodedId(): number {
  return decodedIdOf(trace);
}
function decodedIdOf(t: Trace): number {
  if (t.decode) return t.decode.chosen.id;
  const logits = t.tensors.get('logits')!;
  const V = t.config.n_vocab;
  return decodeNextToken(logits.data.subarray((logits.shape[0]! - 1) * V, logits.shape[0]! * V), DEFAULT_DECODE).record.chosen.id;
}

/** A trace with only the head scores and the probe, shaped like gpt2-xl's 48 layers of 25 heads. */
function headScoreTrace(nLayer: number, nHead: number): Trace {
  const config = normalizeConfig({ n_vocab: 50257, n_context: 1024, d_model: 64 * nHead, n_head: nHead, n_layer: nLayer, name: 'gpt2-xl (head scores only)' });
  const tensors = new Map<TensorName, Tensor>();
  const grid = (k: number) => ({ shape: [nLayer, nHead], data: Float32Array.from({ length: nLayer * nHead }, (_, i) => ((i * 37 + k * 11) % 100) / 100) });
  HEAD_ROLES.forEach((role, k) => tensors.set(analysisTensor.headScores(role), grid(k)));
  tensors.set(analysisTensor.inductionProbe, grid(7));
  return createTrace({ config, tokens: [464, 3139, 286, 4881].map(tokenInfo), tensors, analysis: { probe_tokens: { seed: 0, repeat: 20, tokens: [] } } });
}

import { describe, expect, it } from 'vitest';
import {
  attentionSentence,
  attributionSentence,
  componentName,
  componentShortName,
  focusSentence,
  headRoleSentence,
  inductionProbeSentence,
  lensPointName,
  logitDifferenceSentence,
  logitLensSentence,
  ovSentence,
  qkSentence,
  probability,
  signed,
  type AttributionData,
  type CircuitsData,
  type LogitLensData,
} from './sentences.js';

const words: Record<number, string> = { 7: ' new', 8: ' old', 9: ' Mary', 10: ' John', 11: ' to' };
const text = (id: number) => words[id] ?? `#${id}`;

// One layer of two heads; targets ' new' (7) and ' old' (8).
const components = ['embed', 'pos_embed', 'L0H0', 'L0H1', '0_attn_bias', '0_mlp_out', 'final_ln_bias'];
const rows: [number, number][] = [
  [0.5, 0.25],
  [-0.125, 0],
  [0.25, 0.5],
  [0.5, -0.25],
  [0.0625, 0.0625],
  [3.95, 1.1],
  [0.013, 0.02],
];
const attribution: AttributionData = { components, targets: [7, 8], directLogit: rows.flat() };

describe('sentences from the analyses', () => {
  it('shortens component labels for bars, keeping TransformerLens head names', () => {
    expect(components.map(componentShortName)).toEqual(['embed', 'pos embed', 'L0H0', 'L0H1', 'attn bias 0', 'MLP 0', 'final LN bias']);
    expect(componentShortName('11_mlp_out')).toBe('MLP 11');
  });

  it('formats signed values with a true minus sign, and zero unsigned', () => {
    expect(signed(3.954)).toBe('+3.95');
    expect(signed(-0.4)).toBe('−0.40');
    expect(signed(-0.001)).toBe('0.00');
    expect(probability(0.4213)).toBe('0.42');
    expect(probability(0.003141)).toBe('0.0031');
  });

  it('names components as TransformerLens does, in words for the rest', () => {
    expect(componentName('2_mlp_out')).toBe('MLP 2');
    expect(componentName('L3H0')).toBe('L3H0');
    expect(componentName('0_attn_bias')).toBe('the attention bias of layer 0');
  });

  it('says who wrote the logit: the largest writer, the logit as the column sum, the heads together', () => {
    const logit = rows.reduce((s, r) => s + r[0], 0);
    expect(attributionSentence(attribution, 7, text)).toBe(`MLP 0 writes +3.95 of the ${logit.toFixed(2)} logit of ' new'; the 2 heads together add +0.75.`);
    expect(() => attributionSentence(attribution, 99, text)).toThrow(/not an attribution target/);
  });

  it('splits the gap between the top two candidates', () => {
    const gap = rows.reduce((s, r) => s + r[0] - r[1], 0);
    expect(logitDifferenceSentence(attribution, text)).toBe(`' new' leads ' old' by ${gap.toFixed(2)}; MLP 0 accounts for +2.85 of the gap.`);
    expect(logitDifferenceSentence({ ...attribution, targets: [7], directLogit: rows.map((r) => r[0]) }, text)).toBeUndefined();
  });

  it('says where in depth the token first leads the logit lens', () => {
    const lens: LogitLensData = {
      points: ['blocks.0.hook_resid_pre', 'blocks.0.hook_resid_mid', 'blocks.0.hook_resid_post'],
      targets: [7, 8],
      targetProbs: [0.1, 0.3, 0.2, 0.25, 0.6, 0.1],
      targetRanks: [2, 1, 2, 1, 1, 3],
      topIds: [8, 3, 8, 7, 7, 8],
      topProbs: [0.3, 0.2, 0.25, 0.2, 0.6, 0.1],
      top: 2,
    };
    expect(logitLensSentence(lens, 7, text)).toBe("' new' first leads after layer 0 and ends at p = 0.60.");
    expect(logitLensSentence(lens, 8, text)).toBe("' old' first leads at the embeddings and ends at p = 0.10.");
    expect(logitLensSentence({ ...lens, topIds: [3, 3, 3, 3, 3, 3] }, 8, text)).toBe("' old' never leads the logit lens; at the end it ranks 3 with p = 0.10.");
    expect(lensPointName('blocks.4.hook_resid_mid')).toBe("after layer 4's attention");
  });

  it('names the clearest head of a role against the uniform baseline, and the probe', () => {
    expect(headRoleSentence('previous_token', [0.2, 0.1, 0.9, 0.3], 2, 0.29)).toBe('L1H0 is the clearest previous-token head on this prompt: 0.90, against 0.29 for uniform attention.');
    expect(inductionProbeSentence([0.05, 0.83, 0.1, 0.2], 2, 0.04)).toBe('On repeated random tokens, L0H1 scores 0.83 as an induction head (uniform attention: 0.04).');
  });

  it('says why the head is drawn in full', () => {
    const circuits: CircuitsData = { layer: 0, head: 1, criterion: 'largest_direct_attribution', qk: [], ov: [] };
    expect(focusSentence(circuits, attribution, 7, text)).toBe("L0H1 is drawn in full: of all 2 heads it writes the most toward ' new' (+0.50).");
    expect(focusSentence({ ...circuits, criterion: 'requested', head: 0 }, attribution, 7, text)).toBe("L0H0 is drawn in full, as asked; it writes +0.25 toward ' new'.");
  });

  it('reads the circuits: the strongest OV entry, the strongest QK pair a query can score, the last row of the pattern', () => {
    const tokens = [9, 10, 11, 9];
    const n = tokens.length;
    const ov = Array.from({ length: n * n }, () => 0);
    ov[0 * n + 3] = 2.4; // source ' Mary' (j = 0) toward ' Mary' (i = 3)
    const qk = Array.from({ length: n * n }, () => 0);
    qk[0 * n + 3] = 9; // a future key: never scored
    qk[3 * n + 1] = 3.1;
    const circuits: CircuitsData = { layer: 1, head: 3, criterion: 'largest_direct_attribution', qk, ov };
    expect(ovSentence(circuits, tokens, text)).toBe("From the embeddings alone, head L1H3 reads ' Mary' and writes toward ' Mary' (+2.40).");
    expect(qkSentence(circuits, tokens, text)).toBe("From the embeddings alone, head L1H3's highest score is ' Mary' looking at ' John' (3.10).");
    expect(attentionSentence(2, 1, [0.1, 0.61, 0.2, 0.09], tokens, text)).toBe("At the last token, L2H1 puts 0.61 of its attention on ' John' (position 1), the token after an earlier ' Mary'.");
    expect(attentionSentence(2, 1, [0.7, 0.1, 0.1, 0.1], tokens, text)).toBe("At the last token, L2H1 puts 0.70 of its attention on ' Mary' (position 0).");
  });
});

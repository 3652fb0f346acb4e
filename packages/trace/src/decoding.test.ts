import { describe, expect, it } from 'vitest';
import { DecodeError, decodeNextToken, DEFAULT_DECODE, filterLogits, softmax, validateDecodeSettings, type DecodeSettings } from './decoding.js';

const settings = (overrides: Partial<DecodeSettings>): DecodeSettings => ({ temperature: 1, top_k: 0, top_p: 1, strategy: 'sample', seed: 0, ...overrides });

/** Logits whose softmax is exactly the given distribution. */
const logitsOf = (probs: number[]) => probs.map(Math.log);

const keptIds = (probs: ArrayLike<number>) => Array.from(probs, (p, i) => [p, i] as const).filter(([p]) => p > 0).map(([, i]) => i);

function referenceSoftmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

describe('temperature', () => {
  const logits = [1, 2, 3, 0.5, -1];
  it.each([0.5, 1, 2, 3.7])('divides the logits by T = %s before the softmax', (temperature) => {
    const { probs, record } = decodeNextToken(logits, settings({ temperature }));
    const expected = referenceSoftmax(logits.map((l) => l / temperature));
    for (let i = 0; i < logits.length; i++) expect(probs[i]).toBeCloseTo(expected[i]!, 6);
    expect(record.kept).toEqual({ top_k: 5, top_p: 5 });
  });

  it('sharpens below 1 and flattens above 1', () => {
    const top = (temperature: number) => decodeNextToken(logits, settings({ temperature })).probs[2]!;
    expect(top(0.5)).toBeGreaterThan(top(1));
    expect(top(1)).toBeGreaterThan(top(2));
    expect(top(100)).toBeCloseTo(1 / logits.length, 2);
  });

  it('comes before top-p: the temperature changes how many tokens reach p', () => {
    const logits2 = logitsOf([0.5, 0.3, 0.15, 0.05]);
    expect(keptIds(decodeNextToken(logits2, settings({ top_p: 0.6 })).probs)).toEqual([0, 1]);
    // At T = 0.25 token 0 alone has probability 0.5⁴ / Σ pᵢ⁴ ≈ 0.88 ≥ 0.6.
    expect(keptIds(decodeNextToken(logits2, settings({ top_p: 0.6, temperature: 0.25 })).probs)).toEqual([0]);
  });
});

describe('top-k', () => {
  it('keeps the k largest logits and renormalises', () => {
    const logits = [0.1, 3, -2, 2, 1];
    const { probs, record } = decodeNextToken(logits, settings({ top_k: 2 }));
    expect(keptIds(probs)).toEqual([1, 3]);
    const expected = referenceSoftmax([3, 2]);
    expect(probs[1]).toBeCloseTo(expected[0]!, 6);
    expect(probs[3]).toBeCloseTo(expected[1]!, 6);
    expect(record.kept.top_k).toBe(2);
  });

  it('keeps every token tied with the k-th value (HF: scores < k-th largest are removed)', () => {
    const logits = [3, 1, 2, 2, 0, 2];
    const { probs, record } = decodeNextToken(logits, settings({ top_k: 2 }));
    expect(keptIds(probs)).toEqual([0, 2, 3, 5]);
    expect(record.kept.top_k).toBe(4);
    expect(probs[2]).toBe(probs[3]);
    expect(probs[3]).toBe(probs[5]);
  });

  it('is disabled by 0 and by k ≥ vocabulary size', () => {
    const logits = [1, 2, 3];
    for (const top_k of [0, 3, 10]) expect(decodeNextToken(logits, settings({ top_k })).record.kept.top_k).toBe(3);
  });
});

describe('top-p', () => {
  // Sorted probabilities 0.5, 0.3, 0.15, 0.05 (cumulative from the top: 0.5, 0.8, 0.95, 1.0).
  const logits = logitsOf([0.15, 0.5, 0.05, 0.3]);

  it.each([
    [0.3, [1]], // the top token alone reaches 0.3
    [0.75, [1, 3]], // 0.5 < 0.75 ≤ 0.8: the token that crosses p is kept (keeping while cumulative ≤ p would give [1])
    [0.85, [0, 1, 3]], // 0.8 < 0.85 ≤ 0.95: three tokens
    [0.97, [0, 1, 2, 3]], // only all four reach 0.97
    [1, [0, 1, 2, 3]],
  ] as const)('top_p %s keeps the smallest set reaching p: %j', (top_p, kept) => {
    const { probs, record } = decodeNextToken(logits, settings({ top_p }));
    expect(keptIds(probs)).toEqual(kept);
    expect(record.kept.top_p).toBe(kept.length);
    // Renormalised over the kept set.
    const mass = kept.reduce((a: number, i) => a + [0.15, 0.5, 0.05, 0.3][i]!, 0);
    for (const i of kept) expect(probs[i]).toBeCloseTo([0.15, 0.5, 0.05, 0.3][i]! / mass, 5);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('always keeps at least one token, even for a tiny p or a flat distribution', () => {
    for (const top_p of [1e-9, 0.01]) {
      const { probs, record } = decodeNextToken(logits, settings({ top_p }));
      expect(keptIds(probs)).toEqual([1]);
      expect(record.kept.top_p).toBe(1);
      expect(record.chosen.id).toBe(1);
    }
    const flat = decodeNextToken([0, 0, 0, 0], settings({ top_p: 0.01 }));
    expect(keptIds(flat.probs)).toHaveLength(1);
    expect(flat.probs[keptIds(flat.probs)[0]!]).toBe(1);
  });

  it('runs after top-k, on the renormalised top-k distribution (HF order)', () => {
    // probs 0.4, 0.3, 0.2, 0.1; top-k 2 leaves 4/7 and 3/7; top-p 0.55 then keeps only 4/7 ≥ 0.55.
    // Had top-p run first on the full distribution, two tokens (0.4 + 0.3 ≥ 0.55) would survive.
    const { probs, record } = decodeNextToken(logitsOf([0.4, 0.3, 0.2, 0.1]), settings({ top_k: 2, top_p: 0.55 }));
    expect(record.kept).toEqual({ top_k: 2, top_p: 1 });
    expect(keptIds(probs)).toEqual([0]);
  });

  it('marks filtered tokens -Infinity in the scores', () => {
    const { scores, keptTopK, keptTopP } = filterLogits(logits, settings({ top_p: 0.75 }));
    expect(Array.from(scores, (s) => s === -Infinity)).toEqual([true, false, true, false]);
    expect([keptTopK, keptTopP]).toEqual([4, 2]);
  });
});

describe('choosing the token', () => {
  const logits = [0.3, 2.5, -1, 2.4, 0, 1.9, 2.45];

  it('greedy picks the argmax, ignoring temperature and the seed', () => {
    for (const seed of [0, 1, 99]) {
      const { record } = decodeNextToken(logits, settings({ strategy: 'greedy', temperature: 0, seed }));
      expect(record.chosen.id).toBe(1);
      expect(record.chosen.logit).toBe(2.5);
      expect(record.draw).toBeNull();
    }
    expect(decodeNextToken([5, 1, 9, 9.5, -3], settings({ strategy: 'greedy' })).record.chosen.id).toBe(3);
  });

  it('the same seed draws the same token; different seeds can differ', () => {
    const flat = Array.from({ length: 16 }, (_, i) => Math.sin(i) * 0.1);
    const draw = (seed: number) => decodeNextToken(flat, settings({ seed })).record;
    const a = draw(7);
    const b = draw(7);
    expect(b.chosen.id).toBe(a.chosen.id);
    expect(b.draw).toBe(a.draw);
    const chosen = new Set(Array.from({ length: 40 }, (_, seed) => draw(seed).chosen.id));
    expect(chosen.size).toBeGreaterThan(3);
    const draws = new Set(Array.from({ length: 40 }, (_, seed) => draw(seed).draw));
    expect(draws.size).toBe(40);
    // Neighbouring seeds must not draw neighbouring numbers (a bare LCG's first draw is ~linear in the seed).
    expect(Math.min(...(draws as Set<number>))).toBeLessThan(0.2);
    expect(Math.max(...(draws as Set<number>))).toBeGreaterThan(0.8);
  });

  it('the draw picks the token by inverse CDF over the kept tokens, best first', () => {
    for (let seed = 0; seed < 30; seed++) {
      const { record, probs } = decodeNextToken(logits, settings({ seed, top_k: 4 }));
      expect(record.draw).toBeGreaterThanOrEqual(0);
      expect(record.draw).toBeLessThan(1);
      const order = keptIds(probs).sort((x, y) => probs[y]! - probs[x]! || x - y);
      let cumulative = 0;
      let expected = order[order.length - 1]!;
      for (const id of order) {
        cumulative += probs[id]!;
        if (record.draw! < cumulative) {
          expected = id;
          break;
        }
      }
      expect(record.chosen.id, `seed ${seed}`).toBe(expected);
      expect(probs[record.chosen.id]).toBeGreaterThan(0);
      expect([1, 3, 5, 6]).toContain(record.chosen.id);
    }
  });

  it('never samples a filtered token: top-k 1 always gives the argmax', () => {
    for (let seed = 0; seed < 20; seed++) expect(decodeNextToken(logits, settings({ seed, top_k: 1 })).record.chosen.id).toBe(1);
  });

  it('records candidates best first, at most `limit`, with the filtered probabilities', () => {
    const { record, probs } = decodeNextToken(logits, settings({ top_k: 5 }), 3);
    expect(record.candidates.map((c) => c.id)).toEqual([1, 6, 3]);
    for (const c of record.candidates) {
      expect(c.prob).toBeCloseTo(probs[c.id]!, 6);
      expect(c.logit).toBe(logits[c.id]);
    }
    expect(probs).toBeInstanceOf(Float32Array);
    expect(probs.length).toBe(logits.length);
  });
});

describe('validation', () => {
  it.each([
    [{ temperature: 0 }, /temperature must be a positive number, got 0/],
    [{ temperature: -1 }, /temperature/],
    [{ temperature: NaN }, /temperature/],
    [{ temperature: Infinity }, /temperature/],
    [{ top_p: 0 }, /top-p must be in \(0, 1\], got 0/],
    [{ top_p: 1.5 }, /top-p must be in \(0, 1\], got 1\.5/],
    [{ top_p: -0.1 }, /top-p/],
    [{ top_p: NaN }, /top-p/],
    [{ top_k: -1 }, /top-k must be a whole number ≥ 0, got -1/],
    [{ top_k: 2.5 }, /top-k/],
    [{ seed: 0.5 }, /seed must be an integer/],
  ] as const)('%j is rejected', (bad, message) => {
    expect(() => validateDecodeSettings(settings(bad))).toThrow(DecodeError);
    expect(() => decodeNextToken([1, 2], settings(bad))).toThrow(message);
  });

  it('accepts the defaults and greedy with temperature 0', () => {
    expect(() => validateDecodeSettings(DEFAULT_DECODE)).not.toThrow();
    expect(() => validateDecodeSettings(settings({ strategy: 'greedy', temperature: 0 }))).not.toThrow();
  });
});

describe('softmax', () => {
  it('is stable for large logits and gives 0 to -Infinity', () => {
    const p = softmax([1000, 1000, -Infinity]);
    expect(Array.from(p)).toEqual([0.5, 0.5, 0]);
  });
});

import { describe, expect, it } from 'vitest';
import { firstNonFinite } from './validate.js';

describe('firstNonFinite', () => {
  const big = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i % 7) - 3) * 1e30 * (i % 2 ? -1 : 1));

  it('finds the first NaN, +∞ or −∞ at any position, in the first block or a later one', () => {
    const n = 200_000; // four blocks of 65,536
    expect(firstNonFinite(big(n))).toBe(-1);
    for (const at of [0, 1, 65_535, 65_536, 131_071, n - 1]) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const data = big(n);
        data[at] = bad;
        data[n - 1] = NaN; // a later one is not reported first
        expect(firstNonFinite(data), `${bad} at ${at}`).toBe(at);
      }
    }
  });

  it('passes −∞ when allowed (masked attention scores), never NaN or +∞', () => {
    const data = Float32Array.from([0, -Infinity, -0, -Infinity, 3]);
    expect(firstNonFinite(data, true)).toBe(-1);
    data[4] = Infinity;
    expect(firstNonFinite(data, true)).toBe(4);
    expect(firstNonFinite(data)).toBe(1);
  });

  it('treats -0, the largest float32 and integer data as finite', () => {
    expect(firstNonFinite(Float32Array.from([-0, 3.4028234663852886e38, -3.4028234663852886e38]))).toBe(-1);
    expect(firstNonFinite(Int32Array.from([2147483647, -2147483648]))).toBe(-1);
  });
});

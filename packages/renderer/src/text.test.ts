import { describe, expect, test } from 'vitest';
import { measure } from './fonts.js';
import { parseInline, parseMarkdown, texIn } from './markdown.js';
import { prepareTex, TexRegistry } from './math.js';
import { esc, n } from './svg.js';
import { maxLineWidth, textBlock, wrap, type Run } from './text.js';
import { partition } from './layout.js';

const words = 'the residual stream carries one vector per position through the whole model while every sublayer reads from it and writes back by addition supercalifragilisticexpialidocious https://transformer-circuits.pub/2021/framework/index.html'.split(' ');

describe('wrapping with real metrics', () => {
  test('no line is wider than its box, for many widths and mixed styles', async () => {
    await prepareTex(['d_\\text{model}', 'W_Q^{\\ell,h}']);
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 60; trial++) {
      const runs: Run[] = [];
      for (let i = 0; i < 40; i++) {
        const word = words[Math.floor(rand() * words.length)]!;
        if (rand() < 0.08) runs.push({ kind: 'math', tex: rand() < 0.5 ? 'd_\\text{model}' : 'W_Q^{\\ell,h}', style: {} });
        else runs.push({ kind: 'text', text: `${word} `, style: rand() < 0.2 ? { weight: 700 } : rand() < 0.2 ? { italic: true } : {} });
      }
      const width = 90 + rand() * 500;
      const size = 10 + rand() * 14;
      const lines = wrap(runs, width, { size });
      expect(maxLineWidth(lines)).toBeLessThanOrEqual(width + 1e-6);
      // The measured width of each line equals the sum of its pieces: re-measure the plain text.
      for (const line of lines) {
        const plain = line.pieces.filter((p) => p.run.kind === 'text' && p.run.style.weight === undefined && !p.run.style.italic);
        if (plain.length === line.pieces.length) expect(Math.abs(measure(plain.map((p) => p.text).join(''), size) - line.width)).toBeLessThan(size * 0.2);
      }
    }
  });

  test('keeps punctuation with the word before it and breaks only at spaces', () => {
    const lines = wrap(parseInline('one two three `code`, four'), measure('one two three code', 16) + 2, { size: 16 });
    const joined = lines.map((l) => l.pieces.map((p) => p.text).join(''));
    expect(joined).toEqual(['one two three', 'code, four']);
  });

  test('draws text escaped and with explicit positions', async () => {
    const block = textBlock('a < b & "c"', 200, { size: 12 }, new TexRegistry());
    expect(block.svg).toContain('a &lt; b &amp; &quot;c&quot;');
    expect(block.width).toBeLessThanOrEqual(200);
  });
});

describe('Markdown and TeX', () => {
  test('inline styles, links and math become runs', () => {
    const [p] = parseMarkdown('A **bold** and *italic* `code` [link](https://example.org) with $W_Q^{\\ell,h}$ and $\\sqrt{d_\\text{head}}$.');
    const runs = p!.runs;
    expect(runs.find((r) => r.kind === 'text' && r.text === 'bold')?.style.weight).toBe(700);
    expect(runs.find((r) => r.kind === 'text' && r.text === 'italic')?.style.italic).toBe(true);
    expect(runs.find((r) => r.kind === 'text' && r.text === 'code')?.style.code).toBe(true);
    expect(runs.find((r) => r.kind === 'text' && r.text === 'link')?.style.href).toBe('https://example.org');
    expect(runs.filter((r) => r.kind === 'math').map((r) => (r.kind === 'math' ? r.tex : ''))).toEqual(['W_Q^{\\ell,h}', '\\sqrt{d_\\text{head}}']);
    expect(texIn('x $a_b$ y $c$')).toEqual(['a_b', 'c']);
  });

  test('javascript: links are dropped', () => {
    const runs = parseInline('[x](javascript:alert(1))');
    expect(runs.every((r) => r.style.href === undefined)).toBe(true);
  });

  test('MathJax typesets TeX to a symbol used by reference', async () => {
    await prepareTex(['\\frac{1}{\\sqrt{d_\\text{head}}}']);
    const tex = new TexRegistry();
    const use = tex.use('\\frac{1}{\\sqrt{d_\\text{head}}}', 20, 5, 30);
    expect(use).toMatch(/^<use href="#tex-[a-z0-9]+"/);
    expect(tex.defs()).toMatch(/<symbol id="tex-[a-z0-9]+" viewBox="[-\d. ]+" overflow="visible"><g.*<path d="M/);
  });
});

test('svg helpers', () => {
  expect(esc('<a href="x">&\'')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
  expect(esc('bad\u0001char')).toBe('bad\uFFFDchar');
  expect([n(1.23456), n(-0.0001), n(2)]).toEqual(['1.235', '0', '2']);
});

test('columns are balanced contiguous groups', () => {
  const groups = partition([5, 5, 5, 5, 10, 10], 3, 0);
  expect(groups.flat()).toEqual([0, 1, 2, 3, 4, 5]);
  expect(Math.max(...groups.map((g) => g.reduce((s, i) => s + [5, 5, 5, 5, 10, 10][i]!, 0)))).toBe(15);
});

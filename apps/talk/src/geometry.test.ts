import { describe, expect, it } from 'vitest';
import { bands, parseTransform, pruneLeaves, scanSvg } from './geometry.js';
import { inlineMarkdown, texToHtml } from './text.js';

const SVG =
  '<g id="stage-x" transform="translate(100,50)">' +
  '<text x="0" y="20" font-size="20">Title</text>' +
  '<g transform="translate(0,60)"><g data-step="1" class="step"><rect width="40" height="30"/></g>' +
  '<g data-step="2" class="step"><g id="vec-a-p0" class="vec"><path d="M5 0v10h3"/><rect width="10" height="40"/></g></g></g>' +
  '<g transform="translate(0,200)"><g class="note"><text x="0" y="16" font-size="16">note <tspan x="50">text</tspan></text></g></g>' +
  '</g>';

describe('scanSvg', () => {
  const scan = scanSvg(SVG);
  it('places every leaf with its ancestors’ transforms', () => {
    expect(scan.leaves).toHaveLength(5);
    expect(scan.ids.get('vec-a-p0')).toEqual({ x0: 100, y0: 110, x1: 110, y1: 150 });
    expect(scan.steps.get(1)).toEqual({ x0: 100, y0: 110, x1: 140, y1: 140 });
    expect(scan.leaves.filter((l) => l.note)).toHaveLength(1);
  });

  it('splits at empty rows into bands, text and note flagged', () => {
    const b = bands(scan);
    expect(b.map((x) => [Math.round(x.y0), Math.round(x.y1), x.text, x.note])).toEqual([
      [54, 75, true, false],
      [110, 150, false, false],
      [253, 270, true, true],
    ]);
  });

  it('prunes leaves but keeps the markup around them', () => {
    const kept = pruneLeaves(SVG, scan, (l) => !l.note);
    expect(kept).not.toContain('note <tspan');
    expect(kept).toContain('<g class="note"></g>');
  });

  it('composes rotate and scale', () => {
    const m = parseTransform('translate(10,0) rotate(90) scale(2)');
    expect(m.map((v) => Math.round(v * 1000) / 1000)).toEqual([0, 2, -2, 0, 10, 0]);
  });
});

describe('notes text', () => {
  it('turns the content’s Markdown and TeX into HTML', () => {
    expect(inlineMarkdown('**Q** and *K* via $W_Q^{\\ell,h}$ [link](https://example.org) <x>')).toBe(
      '<strong>Q</strong> and <em>K</em> via <span class="math">W<sub>Q</sub><sup>ℓ,h</sup></span> <a href="https://example.org">link</a> &lt;x&gt;',
    );
    expect(texToHtml('\\frac{1}{\\sqrt{d_\\text{head}}}')).toBe('1/(√(d<sub>head</sub>))');
    expect(texToHtml('W_U = W_E^\\top')).toBe('W<sub>U</sub> = W<sub>E</sub>ᵀ');
  });
});

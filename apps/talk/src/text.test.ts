import { describe, expect, it } from 'vitest';
import { inlineMarkdown, texToHtml } from './text.js';

describe('notes text', () => {
  it('turns the content’s Markdown and TeX into HTML', () => {
    expect(inlineMarkdown('**Q** and *K* via $W_Q^{\\ell,h}$ [link](https://example.org) <x>')).toBe(
      '<strong>Q</strong> and <em>K</em> via <span class="math">W<sub>Q</sub><sup>ℓ,h</sup></span> <a href="https://example.org">link</a> &lt;x&gt;',
    );
    expect(texToHtml('\\frac{1}{\\sqrt{d_\\text{head}}}')).toBe('1/(√(d<sub>head</sub>))');
    expect(texToHtml('W_U = W_E^\\top')).toBe('W<sub>U</sub> = W<sub>E</sub>ᵀ');
  });
});

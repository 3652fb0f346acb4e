import { describe, expect, it } from 'vitest';
import { PLACEHOLDERS, fillTemplate, placeholdersIn } from './template.js';

describe('placeholdersIn', () => {
  it('lists distinct names in order of first appearance', () => {
    expect(placeholdersIn('{{d_model}} by {{n_vocab}}, again {{d_model}}')).toEqual(['d_model', 'n_vocab']);
  });

  it('tolerates spaces inside the braces and ignores TeX braces', () => {
    expect(placeholdersIn('{{ n_head }} heads, $W_Q^{\\ell,h}$, $\\frac{a}{\\sqrt{b}}$')).toEqual(['n_head']);
  });

  it('returns an empty list when there is nothing to fill', () => {
    expect(placeholdersIn('plain text')).toEqual([]);
  });
});

describe('fillTemplate', () => {
  it('formats numbers with thousands separators and inserts strings as given', () => {
    const out = fillTemplate('{{n_vocab}} rows, {{d_model}} wide, {{params_embedding_share}} of {{model_name}}', {
      n_vocab: 50257,
      d_model: 768,
      params_embedding_share: '31%',
      model_name: 'gpt2',
    });
    expect(out).toBe('50,257 rows, 768 wide, 31% of gpt2');
  });

  it('formats large and fractional numbers', () => {
    expect(fillTemplate('{{params_total}} / {{x}}', { params_total: 124439808, x: 0.5 })).toBe('124,439,808 / 0.5');
  });

  it('replaces every occurrence and leaves other text alone', () => {
    expect(fillTemplate('{{n_head}} and {{ n_head }}; $\\sqrt{d_\\text{head}}$', { n_head: 12 })).toBe(
      '12 and 12; $\\sqrt{d_\\text{head}}$',
    );
  });

  it('throws an Error naming the missing key', () => {
    expect(() => fillTemplate('{{d_model}} and {{d_mlp}}', { d_model: 768 })).toThrow(/d_mlp/);
    expect(() => fillTemplate('{{d_model}}', {})).toThrow(Error);
  });

  it('does not read inherited properties as values', () => {
    expect(() => fillTemplate('{{toString}}', {})).toThrow(/toString/);
  });

  it('accepts extra values that the text does not use', () => {
    expect(fillTemplate('no placeholders', { d_model: 1 })).toBe('no placeholders');
  });
});

describe('PLACEHOLDERS', () => {
  it('lists every documented name exactly once', () => {
    expect([...PLACEHOLDERS].sort()).toEqual(
      [
        'n_vocab',
        'n_context',
        'd_model',
        'n_head',
        'd_head',
        'd_mlp',
        'n_layer',
        'n_tokens',
        'model_name',
        'params_total',
        'params_embedding',
        'params_embedding_share',
        'params_mlp_share',
        'params_attention_share',
        'components_drawn',
        'n_merges',
      ].sort(),
    );
  });
});

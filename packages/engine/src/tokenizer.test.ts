import { describe, expect, it } from 'vitest';
import { encode as referenceEncode } from 'gpt-tokenizer/encoding/r50k_base';
import { gpt2Tokenizer, TokenizerError } from './tokenizer.js';

const tokenizer = gpt2Tokenizer();

describe('gpt2Tokenizer', () => {
  it('reproduces the fixture prompts HuggingFace tokenised', () => {
    expect(tokenizer.encode('Transformer tokens')).toEqual([8291, 16354, 16326]);
    expect(tokenizer.encode('The capital of France is')).toEqual([464, 3139, 286, 4881, 318]);
  });

  it('agrees with gpt-tokenizer on varied text, including bytes outside UTF-8 letters', () => {
    const texts = ["Hello world! It's 2026.\n\n  indented\ttabs", 'naïve café — “quotes” 東京 🤖🤖', "don't we'll they've I'm", '   ', '1234567 3.14159'];
    for (const text of texts) expect(tokenizer.encode(text)).toEqual(referenceEncode(text));
  });

  it('round-trips through decode', () => {
    const text = 'Round trip: emoji 🤖, accents é, newline\nend';
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it("shows GPT-2's display form and the merges behind a token", () => {
    const [id] = tokenizer.encode(' tokens');
    const info = tokenizer.info(id!);
    expect(info.display).toBe('Ġtokens');
    expect(info.text).toBe(' tokens');
    expect(info.bytes).toBe(7);
    expect(info.merges!.length).toBe(6);
    expect(info.merges!.at(-1)!.join('')).toBe('Ġtokens');
    expect(tokenizer.display(tokenizer.encode('\n')[0]!)).toBe('Ċ');
  });

  it('shows a token that is part of a UTF-8 character in display form rather than as �', () => {
    const [first] = tokenizer.encode('🤖');
    expect(tokenizer.decode([first!])).toContain('\uFFFD');
    expect(tokenizer.readable(first!)).toBe(tokenizer.display(first!));
    expect(tokenizer.readable(tokenizer.encode(' tokens')[0]!)).toBe(' tokens');
  });

  it('treats <|endoftext|> as the special token', () => {
    expect(tokenizer.encode('a<|endoftext|>b')).toEqual([64, 50256, 65]);
    expect(tokenizer.info(50256).display).toBe('<|endoftext|>');
  });

  it('with fewer merges keeps GPT-2 ids and puts <|endoftext|> after them', () => {
    const small = gpt2Tokenizer({ merges: 2000 });
    expect(small.vocabSize).toBe(2257);
    const ids = small.encode('The capital of France is<|endoftext|>');
    expect(Math.max(...ids)).toBe(2256);
    expect(ids.every((id) => id < 2257)).toBe(true);
    expect(small.decode(ids)).toBe('The capital of France is<|endoftext|>');
    expect(ids[0]).toBe(464);
  });

  it('rejects ids outside the vocabulary', () => {
    expect(() => tokenizer.info(50257)).toThrow(TokenizerError);
    expect(() => tokenizer.decode([-1])).toThrow(/outside the vocabulary/);
  });
});

import { describe, expect, it } from 'vitest';
import { detokenize, loadBrown, parseBrownFile, splitBrown } from './training/corpus.js';

describe('Brown detokenisation', () => {
  const words = (s: string) => parseBrownFile(s)[0]!;

  it('drops tags, attaches punctuation and turns `` \'\' into double quotes', () => {
    expect(detokenize(words("``/`` Only/rb a/at handful/nn ''/'' ,/, the/at jury/nn said/vbd ./."))).toBe('"Only a handful," the jury said.');
    expect(detokenize(words('Atlanta\'s/np$ primary/nn (/( election/nn )/) ;/. ;/. costs/nns $5/nns ./.'))).toBe("Atlanta's primary (election); costs $5.");
  });

  it('moves sentence punctuation inside a closing quote and drops doubled stops', () => {
    expect(detokenize(words("``/`` Where/wrb ?/. ''/'' ?/. he/pps asked/vbd Allen/np Jr./np ./."))).toBe('"Where?" he asked Allen Jr.');
  });

  it('pairs standalone single quotes', () => {
    expect(detokenize(words("the/at '/' Met/np '/' opera/nn"))).toBe("the 'Met' opera");
  });

  it('keeps words with slashes whole', () => {
    expect(detokenize(words("1/2''/cd inch/nn"))).toBe("1/2'' inch");
  });
});

describe('the corpus split', () => {
  const docs = loadBrown();
  it('has the 500 Brown documents and holds out every 20th', () => {
    expect(docs).toHaveLength(500);
    const { train, heldOut } = splitBrown(docs);
    expect(heldOut.map((d) => d.id).slice(0, 3)).toEqual(['ca20', 'ca40', 'cb16']);
    expect(heldOut).toHaveLength(25);
    expect(train).toHaveLength(475);
    expect(docs[0]!.text.startsWith('The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.')).toBe(true);
  });
});

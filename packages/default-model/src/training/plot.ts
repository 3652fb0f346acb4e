/**
 * Draws the training log (training/log.jsonl) as two figures for docs/model.md: the loss curve
 * (docs/model-loss.svg) and the best previous-token and induction scores over training
 * (docs/model-circuits.svg). d3-scale for the axes, d3-shape for the paths, SVG as a string (no DOM).
 *
 *   npm run plot -w @vectorview/default-model [-- TRAINING_DIR]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { scaleLinear, type ScaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import { HPARAMS, MODEL, packageRoot } from './hparams.js';

interface LogEntry {
  step: number;
  train_loss: number;
  held_out_loss?: number;
  best_previous_token?: number;
  best_induction?: number;
}

interface Series {
  readonly label: string;
  readonly colour: string;
  readonly points: readonly [number, number][];
  /** Dots at the points (sparse evaluations) rather than only a line. */
  readonly dots?: boolean;
}

interface Figure {
  readonly title: string;
  readonly yLabel: string;
  readonly yDomain: [number, number];
  readonly series: readonly Series[];
  /** Horizontal reference lines: a baseline or a threshold. */
  readonly rules: readonly { y: number; label: string }[];
}

/** Vertical lines where the run changed: each later phase of the data mixture, and the start of the decay. */
const changes: readonly { step: number; label: string }[] = [
  ...HPARAMS.mix.filter((phase) => phase.from_step > 0).map((phase) => ({ step: phase.from_step, label: `${Math.round(100 * phase.repeat_random)} % random repeats` })),
  { step: HPARAMS.train.steps - HPARAMS.train.decay_steps, label: 'decay' },
];

const root = packageRoot();
// The folder holding log.jsonl and summary.json: training/ unless given as the first argument.
const trainingDir = path.resolve(process.argv[2] ?? path.join(root, 'training'));
const docs = path.resolve(root, '..', '..', 'docs');

// A resumed run may repeat steps: the last entry for a step wins.
const byStep = new Map<number, LogEntry>();
for (const text of readFileSync(path.join(trainingDir, 'log.jsonl'), 'utf8').split('\n')) if (text.trim()) byStep.set((JSON.parse(text) as LogEntry).step, JSON.parse(text) as LogEntry);
const entries = [...byStep.values()].sort((a, b) => a.step - b.step);
const summaryFile = path.join(trainingDir, 'summary.json');
interface HeadScores {
  readonly head: string;
  readonly previous_token: number;
  readonly induction: number;
}
const summary = existsSync(summaryFile)
  ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as { held_out_loss: number; unigram_loss: number; name: string; heads?: readonly HeadScores[] })
  : undefined;

const width = 720;
const height = 420;
const margin = { top: 48, right: 24, bottom: 52, left: 60 };
const f = (n: number) => n.toFixed(1);

function draw(figure: Figure): string {
  // The log's own length: the log drawn may be a finished run's or one still in progress.
  const lastStep = entries.at(-1)?.step ?? 1;
  const x = scaleLinear().domain([0, lastStep]).range([margin.left, width - margin.right]);
  const y: ScaleLinear<number, number> = scaleLinear().domain(figure.yDomain).nice().range([height - margin.bottom, margin.top]);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${margin.left}" y="22" font-size="15" font-weight="bold">${figure.title}</text>`);
  for (const t of y.ticks(6)) {
    parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${f(y(t))}" y2="${f(y(t))}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${margin.left - 8}" y="${f(y(t) + 4)}" text-anchor="end" fill="#444">${t}</text>`);
  }
  for (const t of x.ticks(8)) {
    parts.push(`<line x1="${f(x(t))}" x2="${f(x(t))}" y1="${height - margin.bottom}" y2="${height - margin.bottom + 5}" stroke="#444"/>`);
    parts.push(`<text x="${f(x(t))}" y="${height - margin.bottom + 19}" text-anchor="middle" fill="#444">${t}</text>`);
  }
  parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${height - margin.bottom}" y2="${height - margin.bottom}" stroke="#444"/>`);
  parts.push(`<text x="${(margin.left + width - margin.right) / 2}" y="${height - 12}" text-anchor="middle">training step</text>`);
  parts.push(`<text transform="translate(16 ${(margin.top + height - margin.bottom) / 2}) rotate(-90)" text-anchor="middle">${figure.yLabel}</text>`);
  for (const rule of figure.rules) {
    const yr = f(y(rule.y));
    parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${yr}" y2="${yr}" stroke="#888" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${width - margin.right - 4}" y="${Number(yr) - 6}" text-anchor="end" fill="#666">${rule.label}</text>`);
  }
  // Changes at one step share a line and a label.
  const atStep = new Map<number, string[]>();
  for (const c of changes) if (c.step > 0 && c.step <= x.domain()[1]!) atStep.set(c.step, [...(atStep.get(c.step) ?? []), c.label]);
  [...atStep].forEach(([step, labels], i) => {
    const xc = f(x(step));
    parts.push(`<line x1="${xc}" x2="${xc}" y1="${margin.top}" y2="${height - margin.bottom}" stroke="#999" stroke-dasharray="2 3"/>`);
    parts.push(`<text x="${Number(xc) - 4}" y="${height - margin.bottom - 10 - 16 * i}" text-anchor="end" fill="#555">from here: ${labels.join(', ')}</text>`);
  });
  figure.series.forEach((s, i) => {
    const d = line<[number, number]>()
      .digits(1)
      .x((p) => x(p[0]))
      .y((p) => y(p[1]))(s.points);
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"/>`);
    if (s.dots) for (const [px, py] of s.points) parts.push(`<circle cx="${f(x(px))}" cy="${f(y(py))}" r="3" fill="${s.colour}"/>`);
    const ly = margin.top + 8 + 18 * i;
    parts.push(`<line x1="${width - 290}" x2="${width - 266}" y1="${ly}" y2="${ly}" stroke="${s.colour}" stroke-width="2"/><text x="${width - 260}" y="${ly + 4}">${s.label}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

const evaluated = entries.filter((e) => e.held_out_loss !== undefined);
const losses = entries.flatMap((e) => [e.train_loss, e.held_out_loss ?? Infinity]);
const lossFigure: Figure = {
  title: `${summary?.name ?? 'default model'}: loss on the Brown corpus`,
  yLabel: 'mean next-token loss (nats)',
  yDomain: [Math.floor(Math.min(...losses) - 0.5), Math.max(8, Math.ceil(Math.max(...entries.map((e) => e.train_loss))))],
  series: [
    { label: 'training batches (mean between log lines)', colour: '#1f77b4', points: entries.map((e) => [e.step, e.train_loss]) },
    { label: 'held-out windows', colour: '#d62728', points: evaluated.map((e) => [e.step, e.held_out_loss!]), dots: true },
  ],
  rules: summary ? [{ y: summary.unigram_loss, label: `unigram baseline on held-out: ${summary.unigram_loss.toFixed(2)}` }] : [],
};
const circuitsFigure: Figure = {
  title: 'Attention circuits forming during training',
  yLabel: `best score among the ${MODEL.n_layer * MODEL.n_head} heads`,
  yDomain: [0, 1],
  series: [
    { label: 'previous-token score, held-out text', colour: '#1f77b4', points: evaluated.flatMap((e) => (e.best_previous_token === undefined ? [] : [[e.step, e.best_previous_token]])), dots: true },
    { label: 'induction score, repeated random tokens', colour: '#d62728', points: evaluated.flatMap((e) => (e.best_induction === undefined ? [] : [[e.step, e.best_induction]])), dots: true },
  ],
  rules: [{ y: 0.5, label: 'required: 0.5' }],
};
/** The score a head needs to be named for its role (the acceptance bar of the bundled model). */
const QUALIFIES = 0.5;

/** Every head's scores as a Markdown table, qualifying scores in bold, for docs/model.md. */
function headTable(heads: readonly HeadScores[]): string {
  const cell = (score: number) => (score >= QUALIFIES ? `**${score.toFixed(3)}**` : score.toFixed(3));
  const role = (h: HeadScores) => [h.previous_token >= QUALIFIES && 'previous-token head', h.induction >= QUALIFIES && 'induction head'].filter(Boolean).join(', ');
  const rows = heads.map((h) => `| ${h.head} | ${cell(h.previous_token)} | ${cell(h.induction)} | ${role(h)} |`);
  return ['| head | previous-token score | induction score | role (score ≥ 0.5) |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

// The table sits between two markers in docs/model.md, so the page's other prose stays hand-written.
const HEADS_START = '<!-- head-scores:start (written by npm run plot) -->';
const HEADS_END = '<!-- head-scores:end -->';
const modelDoc = path.join(docs, 'model.md');
if (summary?.heads && existsSync(modelDoc)) {
  const text = readFileSync(modelDoc, 'utf8');
  const start = text.indexOf(HEADS_START);
  const end = text.indexOf(HEADS_END);
  if (start >= 0 && end > start) writeFileSync(modelDoc, text.slice(0, start + HEADS_START.length) + '\n' + headTable(summary.heads) + '\n' + text.slice(end));
}
writeFileSync(path.join(docs, 'model-loss.svg'), draw(lossFigure));
writeFileSync(path.join(docs, 'model-circuits.svg'), draw(circuitsFigure));
console.log(`wrote ${docs}/model-loss.svg and model-circuits.svg from ${entries.length} log entries`);

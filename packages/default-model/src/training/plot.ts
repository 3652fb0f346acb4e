/**
 * Draws the loss curve of the training log (training/log.jsonl) as docs/model-loss.svg: d3-scale
 * for the axes, d3-shape for the paths, the SVG written as a string (no DOM).
 *
 *   npm run plot -w @vectorview/default-model [-- TRAINING_DIR]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import { MODEL, packageRoot, TRAINING } from './hparams.js';

interface LogEntry {
  step: number;
  lr: number;
  train_loss: number;
  held_out_loss?: number;
  elapsed_s: number;
}

const root = packageRoot();
// The folder holding log.jsonl and summary.json: training/ unless given as the first argument.
const trainingDir = path.resolve(process.argv[2] ?? path.join(root, 'training'));
const logFile = path.join(trainingDir, 'log.jsonl');
const summaryFile = path.join(trainingDir, 'summary.json');
const out = path.resolve(root, '..', '..', 'docs', 'model-loss.svg');

// A resumed run may repeat steps: the last entry for a step wins.
const byStep = new Map<number, LogEntry>();
for (const text of readFileSync(logFile, 'utf8').split('\n')) if (text.trim()) byStep.set((JSON.parse(text) as LogEntry).step, JSON.parse(text) as LogEntry);
const entries = [...byStep.values()].sort((a, b) => a.step - b.step);
const summary = existsSync(summaryFile) ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as { held_out_loss: number; unigram_loss: number; name: string }) : undefined;

const width = 720;
const height = 420;
const margin = { top: 48, right: 24, bottom: 52, left: 60 };
const lastStep = Math.max(TRAINING.steps, entries.at(-1)?.step ?? 1);
const x = scaleLinear().domain([0, lastStep]).range([margin.left, width - margin.right]);
const top = Math.ceil(Math.max(...entries.map((e) => e.train_loss), summary?.unigram_loss ?? 0));
const bottom = Math.floor(Math.min(...entries.flatMap((e) => [e.train_loss, e.held_out_loss ?? Infinity])) - 0.5);
const y = scaleLinear().domain([bottom, Math.max(top, 8)]).nice().range([height - margin.bottom, margin.top]);

const f = (n: number) => n.toFixed(1);
const trainPath = line<LogEntry>()
  .digits(1)
  .x((e) => x(e.step))
  .y((e) => y(e.train_loss))(entries);
const held = entries.filter((e) => e.held_out_loss !== undefined);
const heldPath = line<LogEntry>()
  .digits(1)
  .x((e) => x(e.step))
  .y((e) => y(e.held_out_loss!))(held);

const parts: string[] = [];
parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
parts.push(`<text x="${margin.left}" y="22" font-size="15" font-weight="bold">${summary?.name ?? 'default model'}: training loss on the Brown corpus</text>`);
for (const t of y.ticks(6)) {
  parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${f(y(t))}" y2="${f(y(t))}" stroke="#e5e5e5"/>`);
  parts.push(`<text x="${margin.left - 8}" y="${f(y(t) + 4)}" text-anchor="end" fill="#444">${t}</text>`);
}
for (const t of x.ticks(8)) {
  parts.push(`<line x1="${f(x(t))}" x2="${f(x(t))}" y1="${height - margin.bottom}" y2="${height - margin.bottom + 5}" stroke="#444"/>`);
  parts.push(`<text x="${f(x(t))}" y="${height - margin.bottom + 19}" text-anchor="middle" fill="#444">${t}</text>`);
}
parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${height - margin.bottom}" y2="${height - margin.bottom}" stroke="#444"/>`);
parts.push(`<text x="${(margin.left + width - margin.right) / 2}" y="${height - 12}" text-anchor="middle">training step (${TRAINING.batchSize} × ${MODEL.nPositions} tokens each)</text>`);
parts.push(`<text transform="translate(16 ${(margin.top + height - margin.bottom) / 2}) rotate(-90)" text-anchor="middle">mean next-token loss (nats)</text>`);
if (summary) {
  const yu = f(y(summary.unigram_loss));
  parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${yu}" y2="${yu}" stroke="#888" stroke-dasharray="6 4"/>`);
  parts.push(`<text x="${width - margin.right - 4}" y="${Number(yu) - 6}" text-anchor="end" fill="#666">unigram baseline on held-out: ${summary.unigram_loss.toFixed(2)}</text>`);
}
parts.push(`<path d="${trainPath}" fill="none" stroke="#1f77b4" stroke-width="2"/>`);
if (heldPath) parts.push(`<path d="${heldPath}" fill="none" stroke="#d62728" stroke-width="2"/>`);
for (const e of held) parts.push(`<circle cx="${f(x(e.step))}" cy="${f(y(e.held_out_loss!))}" r="3" fill="#d62728"/>`);
const legendY = margin.top + 8;
parts.push(`<line x1="${width - 250}" x2="${width - 226}" y1="${legendY}" y2="${legendY}" stroke="#1f77b4" stroke-width="2"/><text x="${width - 220}" y="${legendY + 4}">training batches (mean of ${TRAINING.logEvery} steps)</text>`);
parts.push(`<line x1="${width - 250}" x2="${width - 226}" y1="${legendY + 18}" y2="${legendY + 18}" stroke="#d62728" stroke-width="2"/><text x="${width - 220}" y="${legendY + 22}">held-out (first ${TRAINING.evalWindows} windows)</text>`);
if (summary) parts.push(`<text x="${width - 220}" y="${legendY + 40}" fill="#444">final, whole held-out split: ${summary.held_out_loss.toFixed(2)}</text>`);
parts.push('</svg>');
writeFileSync(out, parts.join('\n') + '\n');
console.log(`wrote ${out} from ${entries.length} log entries`);

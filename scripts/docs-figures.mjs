#!/usr/bin/env node
/**
 * Writes the figures of docs/ that the renderer draws itself:
 *   docs/architecture.svg — the packages, the data that passes between them, and the apps.
 * Run after a build:  npm run build && node scripts/docs-figures.mjs [--out-dir docs]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderFlowDiagram } from '@vectorview/renderer';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { 'out-dir': { type: 'string', default: path.join(root, 'docs') } } });

/** The architecture: engine → trace → renderer → apps. Columns are layers; nothing points backwards. */
export const architecture = {
  title: 'Vectorview architecture: engine → trace → renderer → apps',
  nodeWidth: 270,
  columnGap: 140,
  nodes: [
    { id: 'checkpoint', kind: 'external', column: 0, row: 0, title: 'GPT-2 checkpoint', lines: ['HuggingFace config.json + model.safetensors: a folder, a file, the HF cache or the hub'] },
    { id: 'default-model', column: 0, row: 1, title: '@vectorview/default-model', lines: ['the bundled GPT-2 trained on the Brown corpus, as HF files (defaultModelDir)'] },
    { id: 'engine', column: 1, row: 0, title: '@vectorview/engine', lines: ['tfjs (wasm) GPT-2, vector-wise and batched; tokenizer; checkpoint loader; vectorview-trace', 'knows nothing of drawing'] },
    { id: 'python', kind: 'external', column: 1, row: 1, title: 'TransformerLens (Python)', lines: ['run_with_cache → save_file: activations computed anywhere else'] },
    { id: 'trace', kind: 'data', column: 2, row: 0, title: 'Trace (@vectorview/trace)', lines: ['TransformerLens-named tensors + config, tokens, decode record, graph; one .safetensors file (vectorview-trace/1)', 'no tfjs, no drawing'] },
    { id: 'content', column: 2, row: 1, title: '@vectorview/content', lines: ['one Markdown file per stage: callout, points, speaker notes, sources, {{placeholders}}'] },
    { id: 'renderer', column: 3, row: 0, title: '@vectorview/renderer', lines: ['Trace → poster SVG: 17 stages of marks, d3 scales, MathJax, Inter metrics', 'knows nothing of tfjs'] },
    { id: 'chromium', column: 3, row: 1, title: '@vectorview/chromium', lines: ['the system Chromium (playwright-core): PDFs and browser tests'] },
    { id: 'poster', kind: 'app', column: 4, row: 0, title: 'apps/poster', lines: ['vectorview-poster: flags → engine → Trace → renderer → SVG, PDF (chromium), PNG (resvg)'] },
    { id: 'talk', kind: 'app', column: 4, row: 1, title: 'apps/talk', lines: ['vectorview-talk: flags → engine → Trace → renderer + content → reveal.js deck, PDF (chromium)'] },
  ],
  edges: [
    { from: 'checkpoint', to: 'engine', label: 'weights' },
    { from: 'default-model', to: 'engine', label: 'model dir' },
    { from: 'engine', to: 'trace', label: 'records' },
    { from: 'python', to: 'trace', label: '.safetensors' },
    { from: 'trace', to: 'renderer', label: 'Trace' },
    { from: 'content', to: 'renderer', label: 'stage text' },
    { from: 'renderer', to: 'poster', label: 'Poster' },
    { from: 'renderer', to: 'talk', label: 'stage SVG' },
    { from: 'chromium', to: 'poster', label: 'PDF' },
    { from: 'chromium', to: 'talk', label: 'PDF' },
  ],
};

await mkdir(values['out-dir'], { recursive: true });
const file = path.join(values['out-dir'], 'architecture.svg');
await writeFile(file, renderFlowDiagram(architecture));
console.log(`wrote ${path.relative(process.cwd(), file) || file}`);

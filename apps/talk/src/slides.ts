/**
 * Slides from a rendered poster: each stage of the poster becomes a vertical stack of slides, each
 * showing part of that stage's drawing as inline SVG (the renderer's own drawing, cropped by viewBox
 * and pruned to the elements in view), with `data-step` groups as fragments, vectors carried between
 * stages by auto-animate, and speaker notes from @vectorview/content.
 */
import { SOURCES } from '@vectorview/content';
import { tokenizerForVocabulary } from '@vectorview/engine/node';
import { frameStage, groupAt, templateValues, type Poster, type StageBox } from '@vectorview/renderer';
import { DEFAULT_DECODE, filterLogits, hook, softmax, type DecodeRecord, type Trace } from '@vectorview/trace';
import { bands, pruneLeaves, scanSvg, type Band, type Box, type Leaf, type Scan } from './geometry.js';
import { escapeHtml, inlineMarkdown, markdownToHtml } from './text.js';

/** The slide canvas (reveal's width × height): 16:9. */
export const CANVAS = { width: 1920, height: 1080 } as const;
/** Room for slide content inside the canvas. */
const AREA = { width: 1840, height: 1024 } as const;
/** Largest scale of poster units on a slide (a stage's 1,400-unit crop fills the width). */
const CROP_WIDTH = 1400;
const MAX_SCALE = AREA.width / CROP_WIDTH;
/** Content moves to another slide rather than shrink below this scale… */
const PACK_SCALE = 1.12;
/** …except a short remainder, which may shrink a little more to stay with the rest. */
const MIN_SCALE = 1.0;
const PAD = 10;
const GAP_PX = 14;

export interface Slide {
  /** Inner HTML of the <section> (without the notes). */
  readonly html: string;
  /** Speaker notes as HTML. */
  readonly notes: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly fragments: number;
  readonly title: string;
}

export interface SlideStack {
  readonly id: string;
  readonly slides: readonly Slide[];
}

export interface SlideOptions {
  readonly head: number;
  readonly layer: number;
  readonly componentsDrawn: number;
}

/** One stage of the poster, ready to crop. */
interface StageDrawing {
  readonly id: string;
  readonly box: StageBox;
  /** The stage's <g id="stage-…"> with poster coordinates. */
  readonly group: string;
  readonly scan: Scan;
  /** Where the renderer put the stage's elements with ids and its step groups (its returned structure). */
  readonly elements: ReadonlyMap<string, Box>;
  readonly steps: ReadonlyMap<number, Box>;
  readonly bands: readonly Band[];
  /** How many leading bands are the stage's header (category, title, summary). */
  readonly headerBands: number;
  readonly rootAttrs: string;
}

function stageDrawing(poster: Poster, id: string): StageDrawing {
  const box = poster.stages.find((s) => s.id === id);
  if (!box) throw new Error(`the poster has no stage ${id}`);
  const framed = frameStage(poster, id, 0);
  const start = framed.indexOf(`<g id="${id}"`);
  if (start < 0) throw new Error(`the framed stage has no group ${id}`);
  const group = groupAt(framed, start);
  const scan = scanSvg(group);
  // The card's background and its category stripe span the whole stage: they frame, they are not content.
  const all = bands(scan, { filter: (leaf) => leaf.box.y1 - leaf.box.y0 < box.height - 40 });
  let headerBands = 0;
  while (headerBands < all.length && all[headerBands]!.text && !all[headerBands]!.note) headerBands++;
  if (headerBands === all.length || headerBands === 0) headerBands = Math.min(1, all.length);
  const family = /font-family="([^"]*)"/.exec(framed.slice(0, framed.indexOf('>')))?.[1] ?? 'Inter, sans-serif';
  const fill = /\sfill="([^"]*)"/.exec(framed.slice(0, framed.indexOf('>')))?.[1] ?? '#1f2328';
  const edges = (b: { x: number; y: number; width: number; height: number }): Box => ({ x0: b.x, y0: b.y, x1: b.x + b.width, y1: b.y + b.height });
  const elements = new Map(box.elements.map((e) => [e.id, edges(e.box)] as const));
  const steps = new Map(box.steps.map((s) => [s.step, edges(s.box)] as const));
  return { id, box, group, scan, elements, steps, bands: all, headerBands, rootAttrs: ` font-family="${family}" fill="${fill}"` };
}

/** A part of a stage shown on a slide: a rectangle in poster units and the elements drawn in it. */
interface Crop {
  readonly box: Box;
  readonly keep: ReadonlySet<Leaf>;
  /** Step groups become fragments (true) or the given step is highlighted and the others dimmed. */
  readonly steps: 'fragments' | { highlight: number } | 'static';
}

function cropOfBands(d: StageDrawing, list: readonly Band[], steps: Crop['steps'] = 'fragments'): Crop {
  const keep = new Set<Leaf>();
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const b of list) {
    for (const i of b.leaves) keep.add(d.scan.leaves[i]!);
    y0 = Math.min(y0, b.y0);
    y1 = Math.max(y1, b.y1);
  }
  const x0 = d.box.x + (d.box.width - CROP_WIDTH) / 2;
  return { box: { x0, x1: x0 + CROP_WIDTH, y0: y0 - PAD, y1: y1 + PAD }, keep, steps };
}

function cropOfBox(d: StageDrawing, box: Box, steps: Crop['steps'] = 'static'): Crop {
  const keep = new Set<Leaf>(d.scan.leaves.filter((l) => l.box.x0 >= box.x0 - 1 && l.box.x1 <= box.x1 + 1 && l.box.y0 >= box.y0 - 1 && l.box.y1 <= box.y1 + 1));
  return { box, keep, steps };
}

const width = (b: Box) => b.x1 - b.x0;
const height = (b: Box) => b.y1 - b.y0;

interface Carry {
  /** The vector's id in the renderer's drawing. */
  readonly ref: string;
  /** The data-id shared by the two slides. */
  readonly dataId: string;
}

interface RenderedCrop {
  readonly html: string;
  readonly fragments: number;
  readonly carried: string[];
}

/** The inline SVG of a crop at `scale` CSS px per poster unit, wrapped in a positioned box with any carried vectors. */
function renderCrop(d: StageDrawing, crop: Crop, scale: number, carries: readonly Carry[], label: string): RenderedCrop {
  let svg = pruneLeaves(d.group, d.scan, (leaf) => crop.keep.has(leaf));
  const stepsInView = new Set<number>();
  for (const leaf of crop.keep) if (leaf.step !== undefined) stepsInView.add(leaf.step);
  const order = [...stepsInView].sort((a, b) => a - b);
  svg = svg.replace(/<g((?:\s+[\w:-]+="[^"]*")*)\s*>/g, (whole, attrs: string) => {
    const step = /\sdata-step="(\d+)"/.exec(attrs);
    if (!step || !stepsInView.has(Number(step[1]))) return whole;
    const n = Number(step[1]);
    if (crop.steps === 'fragments') {
      const withClass = /\sclass="/.test(attrs) ? attrs.replace(/\sclass="([^"]*)"/, ' class="$1 fragment"') : `${attrs} class="fragment"`;
      return `<g${withClass} data-fragment-index="${order.indexOf(n)}">`;
    }
    if (typeof crop.steps === 'object' && crop.steps.highlight !== n) return `<g${attrs} opacity="0.28">`;
    return whole;
  });
  // Ids are the poster's: a slide may show the same stage twice, so they become data attributes.
  svg = svg.replace(/\sid="([^"]*)"/g, ' data-ref="$1"');
  const b = crop.box;
  const w = Math.round(width(b) * scale);
  const h = Math.round(height(b) * scale);
  const overlays: string[] = [];
  const carried: string[] = [];
  for (const carry of carries) {
    const vb = d.elements.get(carry.ref);
    if (!vb || vb.x0 < b.x0 || vb.x1 > b.x1 || vb.y0 < b.y0 || vb.y1 > b.y1) continue;
    const at = d.group.search(new RegExp(`<g id="${carry.ref}"[\\s>]`));
    if (at < 0) continue;
    const vector = groupAt(d.group, at).replace(/\sid="[^"]*"/, '');
    const pad = 1;
    const style = `left:${((vb.x0 - pad - b.x0) * scale).toFixed(2)}px;top:${((vb.y0 - pad - b.y0) * scale).toFixed(2)}px;width:${((width(vb) + 2 * pad) * scale).toFixed(2)}px;height:${((height(vb) + 2 * pad) * scale).toFixed(2)}px`;
    overlays.push(
      `<div class="vv-carry" data-id="${carry.dataId}" style="${style}"><svg xmlns="http://www.w3.org/2000/svg" viewBox="${vb.x0 - pad} ${vb.y0 - pad} ${width(vb) + 2 * pad} ${height(vb) + 2 * pad}" width="100%" height="100%" aria-hidden="true"><g transform="translate(${vb.x0},${vb.y0})">${vector}</g></svg></div>`,
    );
    carried.push(carry.dataId);
  }
  const html =
    `<div class="vv-crop" style="width:${w}px;height:${h}px">` +
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" class="vv-drawing" viewBox="${r(b.x0)} ${r(b.y0)} ${r(width(b))} ${r(height(b))}" width="${w}" height="${h}" role="img" aria-label="${escapeHtml(label)}"${d.rootAttrs}>${svg}</svg>` +
    overlays.join('') +
    `</div>`;
  return { html, fragments: crop.steps === 'fragments' ? order.length : 0, carried };
}

const r = (v: number) => String(Math.round(v * 100) / 100);

/** Vectors that auto-animate from one stage's slide to the next stage's: the last token's vector. */
function carriesFor(trace: Trace, layer: number): Map<string, Carry[]> {
  const p = trace.tokens.length - 1;
  const pairs: [string, string, string, string][] = [
    ['stage-positional', `vec-pos-embed-p${p}`, 'stage-input-embeddings', `vec-input-pos-p${p}`],
    ['stage-input-embeddings', `vec-resid-pre-L0-p${p}`, 'stage-residual', `vec-resid-pre-L${layer}-p${p}`],
    ['stage-residual', `vec-resid-pre-L${layer}-p${p}`, 'stage-layernorm', `vec-ln1-in-L${layer}-p${p}`],
  ];
  // Only stream vectors that hold the same numbers are carried: layer 0's input is the embedding sum.
  const usable = pairs.filter(([from], i) => i !== 1 || layer === 0 || from !== 'stage-input-embeddings');
  const map = new Map<string, Carry[]>();
  usable.forEach(([from, fromRef, to, toRef], i) => {
    const dataId = `carry-${i}-p${p}`;
    map.set(from, [...(map.get(from) ?? []), { ref: fromRef, dataId }]);
    map.set(to, [...(map.get(to) ?? []), { ref: toRef, dataId }]);
  });
  return map;
}

/** Fits crops stacked vertically into the slide area; returns the scale. */
function stackScale(crops: readonly Crop[], max = MAX_SCALE): number {
  const h = crops.reduce((s, c) => s + height(c.box), 0);
  const gaps = Math.max(0, crops.length - 1) * GAP_PX;
  const w = Math.max(...crops.map((c) => width(c.box)));
  return Math.min(max, (AREA.height - gaps) / h, AREA.width / w);
}

/** Bands that share a `data-step` group stay together: a fragment is never split across slides. */
function units(d: StageDrawing, list: readonly Band[]): Band[][] {
  const out: { bands: Band[]; steps: Set<number> }[] = [];
  for (const band of list) {
    const steps = new Set<number>();
    for (const i of band.leaves) {
      const step = d.scan.leaves[i]!.step;
      if (step !== undefined) steps.add(step);
    }
    const last = out[out.length - 1];
    if (last && [...steps].some((s) => last.steps.has(s))) {
      last.bands.push(band);
      for (const s of steps) last.steps.add(s);
    } else out.push({ bands: [band], steps });
  }
  return out.map((u) => u.bands);
}

/** Packs a stage's bands into slides: the header on each, then as many bands as fit at a legible scale. */
function packStage(d: StageDrawing): Crop[][] {
  const header = d.bands.slice(0, d.headerBands);
  const body = units(d, d.bands.slice(d.headerBands));
  const headerCrop = header.length ? cropOfBands(d, header, 'static') : undefined;
  const cropsOf = (list: Band[], first: boolean) => (first ? [cropOfBands(d, [...header, ...list])] : [...(headerCrop ? [headerCrop] : []), cropOfBands(d, list)]);
  const slides: Band[][] = [];
  let current: Band[] = [];
  for (const unit of body) {
    const candidate = [...current, ...unit];
    if (current.length && stackScale(cropsOf(candidate, slides.length === 0)) < PACK_SCALE) {
      slides.push(current);
      current = [...unit];
    } else current = candidate;
  }
  if (current.length || !slides.length) slides.push(current);
  // A short last slide joins the one before when both fit at a still legible scale.
  while (slides.length > 1) {
    const last = slides[slides.length - 1]!;
    const prev = slides[slides.length - 2]!;
    const merged = [...prev, ...last];
    if (stackScale(cropsOf(merged, slides.length === 2)) < MIN_SCALE || last.reduce((s, b) => s + height(b), 0) > 200) break;
    slides.splice(slides.length - 2, 2, merged);
  }
  return slides.map((list, i) => cropsOf(list, i === 0));
}

/** A stage's speaker notes (from the poster's filled annotation), after an optional bold lead. */
function notesFor(stage: StageBox, extra = ''): string {
  return `${extra ? `<p><strong>${escapeHtml(extra)}</strong></p>\n` : ''}${markdownToHtml(stage.notes)}`;
}

function sectionHtml(parts: readonly string[], scaleNote = ''): string {
  return `<div class="vv-slide"${scaleNote}>${parts.join('')}</div>`;
}

/** The slides of one stage: its packed parts, then detail slides for some stages. */
function stageSlides(trace: Trace, poster: Poster, id: string, opts: SlideOptions, carries: Map<string, Carry[]>): Slide[] {
  const d = stageDrawing(poster, id);
  const title = d.box.title;
  const packed = packStage(d);
  const slides: Slide[] = [];
  packed.forEach((crops, i) => {
    const scale = stackScale(crops);
    let fragments = 0;
    const carried: string[] = [];
    const parts = crops.map((c, j) => {
      const rendered = renderCrop(d, c, scale, i === 0 || j > 0 ? (carries.get(id) ?? []) : [], `${title}${packed.length > 1 ? ` (${i + 1} of ${packed.length})` : ''}`);
      fragments += rendered.fragments;
      carried.push(...rendered.carried);
      return rendered.html;
    });
    const attrs: Record<string, string> = { 'data-stage': id };
    if (carried.length) attrs['data-auto-animate'] = '';
    const part = packed.length > 1 ? ` — part ${i + 1} of ${packed.length}` : '';
    slides.push({ html: sectionHtml(parts), notes: notesFor(d.box, i > 0 ? `${title}${part}` : ''), attrs, fragments, title: `${title}${part}` });
  });
  if (id === 'stage-attention') slides.push(...headSlides(trace, d, opts));
  if (id === 'stage-decoding') slides.push(...filterSlides(trace, d));
  return slides;
}

function headerCropOf(d: StageDrawing): Crop | undefined {
  const header = d.bands.slice(0, d.headerBands);
  return header.length ? cropOfBands(d, header, 'static') : undefined;
}

const fmtP = (p: number) => (p >= 0.995 ? '1.00' : p.toFixed(2));

function tokenName(trace: Trace, p: number): string {
  const t = trace.tokens[p]!;
  return t.text ?? t.display;
}

/** One slide per head of the drawn layer: its pattern, enlarged, with what the last token reads. */
function headSlides(trace: Trace, d: StageDrawing, opts: SlideOptions): Slide[] {
  const L = opts.layer;
  const pattern = trace.tensors.get(hook.block(L, 'attn.hook_pattern'));
  const n = trace.tokens.length;
  if (!pattern) return [];
  const header = headerCropOf(d);
  const slides: Slide[] = [];
  for (let h = 0; h < trace.config.n_head; h++) {
    const tri = d.elements.get(`pattern-L${L}-h${h}`);
    if (!tri) continue;
    const box: Box = { x0: tri.x0 - 1, y0: tri.y0 - 1, x1: tri.x1 + 1, y1: tri.y1 + 1 };
    const at = (q: number, k: number) => pattern.data[(h * n + q) * n + k]!;
    // What the last position reads, and the head's habits over all positions.
    const last = n - 1;
    const reads = Array.from({ length: n }, (_, k) => ({ k, w: at(last, k) })).sort((a, b) => b.w - a.w || a.k - b.k).slice(0, 3);
    let self = 0;
    let prev = 0;
    let first = 0;
    for (let q = 0; q < n; q++) {
      self += at(q, q);
      first += at(q, 0);
      if (q > 0) prev += at(q, q - 1);
    }
    const pct = (v: number, count: number) => `${Math.round((100 * v) / Math.max(1, count))}%`;
    const habits = [
      ['on the first token', pct(first, n)],
      ['on itself', pct(self, n)],
      ['on the previous token', n > 1 ? pct(prev, n - 1) : '–'],
    ];
    const headerRendered = header ? renderCrop(d, header, MAX_SCALE, [], `${d.id} header`) : undefined;
    const headerH = header ? height(header.box) * MAX_SCALE + GAP_PX : 0;
    const side = 720;
    const labelW = 170;
    const labelH = 130;
    const scale = Math.min((AREA.height - headerH - labelH - 30) / height(box), (AREA.width - side - labelW - 80) / width(box), 10);
    const triangle = renderCrop(d, cropOfBox(d, box), scale, [], `attention pattern of layer ${L}, head ${h}`);
    // Token labels in HTML beside the enlarged pattern (the poster's small multiples have none).
    const cell = (width(tri) / n) * scale;
    const font = Math.max(12, Math.min(24, cell * 0.6));
    const short = (s: string) => ([...s].length > 10 ? `${[...s].slice(0, 9).join('')}…` : s);
    const rowLabels = trace.tokens
      .map((t, q) => `<span class="vv-rl" style="top:${((q + 0.5) * cell - font * 0.6).toFixed(1)}px;width:${labelW - 12}px;font-size:${font.toFixed(1)}px">${escapeHtml(short(t.display))}</span>`)
      .join('');
    const colLabels = trace.tokens
      .map((t, k) => `<span class="vv-cl" style="left:${(labelW + (k + 0.5) * cell - font * 0.6).toFixed(1)}px;top:${(height(box) * scale + 8).toFixed(1)}px;font-size:${font.toFixed(1)}px;max-height:${labelH - 10}px">${escapeHtml(short(t.display))}</span>`)
      .join('');
    const pattern_ = `<div class="vv-pattern" style="padding-left:${labelW}px;padding-bottom:${labelH}px">${triangle.html}${rowLabels}${colLabels}</div>`;
    const panel =
      `<div class="vv-panel" style="width:${side}px">` +
      `<h3>Layer ${L}, head ${h}</h3>` +
      `<p class="vv-small">Rows: the query position that reads. Columns: the key position read from. Darker cells carry more weight; each row sums to 1.</p>` +
      `<p>The last token <code>${escapeHtml(trace.tokens[last]!.display)}</code> reads most from:</p>` +
      `<table class="vv-table"><tbody>${reads.map((x) => `<tr><td><code>${escapeHtml(trace.tokens[x.k]!.display)}</code> <span class="vv-muted">position ${x.k}</span></td><td class="num">${fmtP(x.w)}</td></tr>`).join('')}</tbody></table>` +
      `<p class="vv-small">Average weight ${habits.map(([what, v]) => `${what} <b>${v}</b>`).join(', ')}.</p>` +
      `</div>`;
    const html = sectionHtml([headerRendered?.html ?? '', `<div class="vv-row">${pattern_}${panel}</div>`]);
    const extra = `Head ${h} of layer ${L}: the last token puts ${fmtP(reads[0]!.w)} of its attention on “${tokenName(trace, reads[0]!.k)}” (position ${reads[0]!.k}).`;
    slides.push({ html, notes: notesFor(d.box, extra), attrs: { 'data-stage': 'stage-attention', 'data-head': String(h) }, fragments: 0, title: `Attention pattern, layer ${L} head ${h}` });
  }
  return slides;
}

interface FilterView {
  readonly step: number;
  readonly title: string;
  readonly lead: string;
  readonly columns: readonly string[];
  readonly rows: readonly { id: number; cells: readonly string[]; out?: boolean; chosen?: boolean }[];
}

/** The decoding filters one at a time, with the real numbers of this pass. */
function filterViews(trace: Trace): FilterView[] {
  const logitsT = trace.tensors.get(hook.logits);
  const decode: DecodeRecord | undefined = trace.decode;
  if (!logitsT || !decode) return [];
  const width = logitsT.shape[logitsT.shape.length - 1]!;
  const rows = logitsT.shape[0]!;
  const logits = (logitsT.data as Float32Array).subarray((rows - 1) * width, rows * width);
  const s = { ...DEFAULT_DECODE, ...decode.settings };
  const greedy = s.strategy === 'greedy';
  const T = greedy ? 1 : s.temperature;
  const afterK = filterLogits(logits, { ...s, top_p: 1 });
  const probsK = softmax(afterK.scores);
  const afterP = filterLogits(logits, s);
  const probsP = softmax(afterP.scores);
  const order = [...logits.keys()].sort((a, b) => logits[b]! - logits[a]! || a - b).slice(0, 8);
  const tok = tokenizerForVocabulary(trace.config.n_vocab);
  const show = (id: number) => JSON.stringify(tok.readable(id));
  const nf = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '−∞');
  let cumulative = 0;
  const cum = order.map((id) => (cumulative += probsK[id]!));
  const chosen = decode.chosen.id;
  const views: FilterView[] = [
    {
      step: 1,
      title: greedy ? 'Temperature: not used by greedy decoding' : `Divide by the temperature T = ${T}`,
      lead: greedy ? 'Greedy decoding takes the largest logit, so the scale of the logits does not matter.' : `All ${logits.length.toLocaleString('en-US')} logits are divided by ${T}: ${T < 1 ? 'below 1 sharpens' : T > 1 ? 'above 1 flattens' : '1 leaves'} the distribution${T === 1 ? ' as it is' : ''}.`,
      columns: ['token', 'id', 'logit', `logit / ${T}`],
      rows: order.map((id) => ({ id, cells: [show(id), String(id), nf(logits[id]!), nf(logits[id]! / T)] })),
    },
    {
      step: 2,
      title: s.top_k > 0 ? `Top-k: keep the ${s.top_k} largest` : 'Top-k: off',
      lead: s.top_k > 0 ? `${afterK.keptTopK.toLocaleString('en-US')} of ${logits.length.toLocaleString('en-US')} tokens survive; every other score becomes −∞.` : 'k = 0 keeps every token.',
      columns: ['token', 'id', 'score', 'kept'],
      rows: order.map((id) => ({ id, cells: [show(id), String(id), nf(afterK.scores[id]!), afterK.scores[id] === -Infinity ? 'no' : 'yes'], out: afterK.scores[id] === -Infinity })),
    },
    {
      step: 3,
      title: 'Softmax: scores become probabilities',
      lead: `Exponentiate and normalise over the ${afterK.keptTopK.toLocaleString('en-US')} kept tokens: the probabilities sum to 1.`,
      columns: ['token', 'id', 'probability', 'cumulative'],
      rows: order.map((id, i) => ({ id, cells: [show(id), String(id), probsK[id]!.toFixed(4), cum[i]!.toFixed(4)] })),
    },
    {
      step: 4,
      title: s.top_p < 1 ? `Top-p: the smallest set reaching p = ${s.top_p}` : 'Top-p: off (p = 1)',
      lead: s.top_p < 1 ? `${afterP.keptTopP.toLocaleString('en-US')} tokens are needed to reach ${s.top_p}; the rest drop out and the survivors are renormalised.` : `p = 1 keeps all ${afterK.keptTopK.toLocaleString('en-US')} tokens.`,
      columns: ['token', 'id', 'probability', 'kept'],
      rows: order.map((id) => ({ id, cells: [show(id), String(id), probsP[id]!.toFixed(4), afterP.scores[id] === -Infinity ? 'no' : 'yes'], out: afterP.scores[id] === -Infinity })),
    },
    {
      step: 5,
      title: greedy ? 'Greedy: take the most probable token' : `Sample with seed ${s.seed}`,
      lead: greedy
        ? `The argmax is ${show(chosen)} (id ${chosen}).`
        : `The uniform draw u = ${decode.draw === null ? '–' : decode.draw.toFixed(4)} falls in the cumulative range of ${show(chosen)} (id ${chosen}, p = ${decode.chosen.prob.toFixed(4)}).`,
      columns: ['token', 'id', 'probability', 'chosen'],
      rows: order.map((id) => ({ id, cells: [show(id), String(id), probsP[id]!.toFixed(4), id === chosen ? '◀' : ''], chosen: id === chosen })),
    },
  ];
  return views;
}

function filterSlides(trace: Trace, d: StageDrawing): Slide[] {
  const views = filterViews(trace);
  const header = headerCropOf(d);
  const pipeline = d.steps;
  const slides: Slide[] = [];
  // The pipeline: the band holding the filter boxes (steps 1–5).
  const stepBoxes = [1, 2, 3, 4, 5].map((s) => pipeline.get(s)).filter((b): b is Box => b !== undefined);
  if (!stepBoxes.length) return [];
  const band = d.bands.find((b) => stepBoxes.every((s) => s.y0 >= b.y0 - 1 && s.y1 <= b.y1 + 1));
  for (const view of views) {
    const crops = [...(header ? [header] : []), ...(band ? [cropOfBands(d, [band], { highlight: view.step })] : [])];
    const scale = Math.min(MAX_SCALE, stackScale(crops));
    const drawn = crops.map((c) => renderCrop(d, c, scale, [], `decoding, ${view.title}`).html);
    const table =
      `<table class="vv-table vv-wide"><thead><tr>${view.columns.map((c, i) => `<th${i >= 2 ? ' class="num"' : ''}>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>` +
      view.rows.map((row) => `<tr${row.chosen ? ' class="vv-chosen"' : row.out ? ' class="vv-out"' : ''}>${row.cells.map((c, i) => `<td${i >= 1 ? ' class="num"' : ''}>${i === 0 ? `<code>${escapeHtml(c)}</code>` : escapeHtml(c)}</td>`).join('')}</tr>`).join('') +
      `</tbody></table>`;
    const panel = `<div class="vv-panel vv-filter"><h3>${view.step}. ${escapeHtml(view.title)}</h3><p>${escapeHtml(view.lead)}</p>${table}<p class="vv-small vv-muted">The eight tokens with the largest logits at position ${trace.tokens.length - 1}.</p></div>`;
    slides.push({
      html: sectionHtml([...drawn, panel]),
      notes: notesFor(d.box, `Filter ${view.step}: ${view.title}. ${view.lead}`),
      attrs: { 'data-stage': 'stage-decoding', 'data-filter': String(view.step) },
      fragments: 0,
      title: `Decoding, ${view.title}`,
    });
  }
  return slides;
}

/** The end of a long text, cut at a word where possible. */
function tail(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const cut = chars.slice(chars.length - max).join('');
  const space = cut.indexOf(' ');
  return `…${space > 0 && space < 20 ? cut.slice(space) : cut}`;
}

/** The closing slide: the prediction with its candidates, and the works cited. */
function closingSlide(trace: Trace, values: Record<string, string | number>): Slide {
  const decode = trace.decode;
  const tok = tokenizerForVocabulary(trace.config.n_vocab);
  const text = (id: number) => tok.readable(id);
  let body: string;
  if (decode) {
    const chosen = decode.chosen;
    const listed = decode.candidates.slice(0, 10).map((c, i) => ({ c, rank: i + 1 }));
    if (!listed.some((x) => x.c.id === chosen.id)) {
      // The sampled token may rank below the listed ones: give it its own row with its real rank.
      const logitsT = trace.tensors.get(hook.logits);
      let rank = decode.candidates.findIndex((c) => c.id === chosen.id) + 1;
      if (rank === 0 && logitsT) {
        const w = logitsT.shape[logitsT.shape.length - 1]!;
        const last = (logitsT.data as Float32Array).subarray(logitsT.data.length - w);
        rank = 1;
        for (let i = 0; i < last.length; i++) if (last[i]! > chosen.logit) rank++;
      }
      listed.push({ c: chosen, rank });
    }
    const maxP = Math.max(1e-9, ...listed.map((x) => x.c.prob));
    const s = decode.settings;
    const how = s.strategy === 'greedy' ? 'greedy decoding (argmax)' : `sampling with T = ${s.temperature}, top-k ${s.top_k || 'off'}, top-p ${s.top_p < 1 ? s.top_p : 'off'}, seed ${s.seed}`;
    body =
      `<p class="vv-lead">After “${escapeHtml(tail(trace.prompt, 90))}”, ${escapeHtml(trace.config.name)} continues with <span class="vv-pick">${escapeHtml(JSON.stringify(text(chosen.id)))}</span> <span class="vv-muted">(id ${chosen.id}, p = ${chosen.prob.toFixed(3)}, ${escapeHtml(how)})</span></p>` +
      `<table class="vv-table vv-candidates"><thead><tr><th>#</th><th>token</th><th class="num">id</th><th class="num">logit</th><th>probability</th></tr></thead><tbody>` +
      listed
        .map(
          ({ c, rank }) =>
            `<tr${c.id === chosen.id ? ' class="vv-chosen"' : ''}><td>${rank}</td><td><code>${escapeHtml(JSON.stringify(text(c.id)))}</code></td><td class="num">${c.id}</td><td class="num">${c.logit.toFixed(2)}</td>` +
            `<td class="vv-bar"><span style="width:${((c.prob / maxP) * 220).toFixed(1)}px"></span> ${c.prob.toFixed(3)}</td></tr>`,
        )
        .join('') +
      `</tbody></table>`;
  } else body = `<p class="vv-lead">This trace carries no decoding record.</p>`;
  const sources = Object.values(SOURCES)
    .map((s) => `<li><a href="${escapeHtml(s.url)}">${escapeHtml(s.title)}</a>${s.year ? ` <span class="vv-muted">(${s.year})</span>` : ''}</li>`)
    .join('');
  const html =
    `<div class="vv-slide vv-html"><div class="vv-closing"><div class="vv-col"><h2>The prediction</h2>${body}</div>` +
    `<div class="vv-col vv-sources"><h3>Sources and further reading</h3><ul>${sources}</ul></div></div></div>`;
  const notes =
    `<p><strong>The prediction.</strong> ${decode ? `The model's next token is ${escapeHtml(JSON.stringify(text(decode.chosen.id)))} with probability ${decode.chosen.prob.toFixed(3)}.` : ''} ` +
    `Everything on the earlier slides was computed in this one pass: ${values['n_tokens']} tokens, ${values['n_layer']} layers, and only the last position unembedded.</p>` +
    `<p>Point the audience to the sources for the full story: the transformer-circuits framework for QK and OV circuits, superposition, and the glossary for terms.</p>`;
  return { html, notes, attrs: { 'data-stage': 'closing' }, fragments: 0, title: 'The prediction' };
}

/** Every slide of the talk, stage by stage in the poster's order, then the closing slide. */
export function buildSlides(trace: Trace, poster: Poster, opts: SlideOptions): SlideStack[] {
  const values = templateValues(trace, Math.min(trace.config.d_model, opts.componentsDrawn));
  const carries = carriesFor(trace, opts.layer);
  // The poster's stages, in its reading order: a stage registered with the renderer becomes a slide stack.
  const stacks: SlideStack[] = poster.stages.map(({ id }) => ({ id, slides: stageSlides(trace, poster, id, opts, carries) }));
  stacks.push({ id: 'closing', slides: [closingSlide(trace, values)] });
  return stacks;
}

export { inlineMarkdown };

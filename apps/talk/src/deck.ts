/** The deck's HTML page: reveal.js markup around the slides, the shared SVG defs, and the talk's styles. */
import type { StageDrawings } from '@vectorview/renderer';
import type { Trace } from '@vectorview/trace';
import { inlineScript, inlineStyle, revealAssets, type Asset } from './assets.js';
import { CANVAS, drawingHref, FIGURE, TALK_LENGTHS, type Slide, type SlideStack, type TalkLength } from './figure.js';
import { escapeHtml } from './text.js';

const TALK_CSS = `
:root{--vv-ink:#1f2328;--vv-muted:#57606a;--vv-rule:#d0d7de;--vv-link:#1d5fa8;--vv-font:Inter,'Helvetica Neue',Helvetica,Arial,sans-serif}
.reveal{font-family:var(--vv-font)}
.reveal .slides section.vv{padding:0;width:${CANVAS.width}px;height:${CANVAS.height}px;text-align:left}
.reveal .slides section.vv>*{position:absolute;margin:0;box-sizing:border-box}
.reveal .vv-title{left:${FIGURE.x}px;top:40px;width:${FIGURE.width}px;font-family:var(--vv-font);font-size:56px;line-height:1.15;font-weight:700;text-transform:none;letter-spacing:0;text-shadow:none;white-space:nowrap;overflow:hidden}
.reveal .vv-kicker{font-size:36px;font-weight:600;opacity:.6;margin-left:.4em}
.reveal .vv-figure{background:#fff;border-radius:12px;outline:1px solid var(--vv-rule)}
.reveal .vv-figure>svg{display:block;position:absolute;left:0;top:0;max-width:none;max-height:none;margin:0}
.reveal .vv-cover{position:absolute;background:#fff}
.vv-defs .prose,.vv-defs .detail{display:none}
.reveal .vv-carry{position:absolute;pointer-events:none}
.reveal .vv-carry>svg{display:block;width:100%;height:100%}
.reveal .vv-side{left:1160px;top:200px;width:680px;font-size:32px}
.reveal .vv-body{left:${FIGURE.x}px;top:170px;width:1500px;font-size:36px;line-height:1.4}
.reveal .vv-body p,.reveal .vv-side p{margin:0 0 24px}
.reveal .vv-label{font-weight:700}
.reveal .vv-muted{opacity:.7}
.reveal section.vv code{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.95em}
.reveal table.vv-table{border-collapse:collapse;margin:0 0 24px;font-size:32px;width:auto}
.reveal table.vv-table th,.reveal table.vv-table td{padding:8px 20px 8px 0;border:none;border-bottom:1px solid var(--vv-rule);text-align:left;vertical-align:middle}
.reveal table.vv-table th{font-weight:700;font-size:28px}
.reveal table.vv-table .num{text-align:right;font-variant-numeric:tabular-nums}
.reveal table.vv-table tr.vv-chosen td{font-weight:700}
.reveal .vv-bar{white-space:nowrap;font-variant-numeric:tabular-nums}
.reveal .vv-bar span{display:inline-block;height:26px;background:#0a6d80;border-radius:3px;vertical-align:middle;margin-right:14px}
.reveal .vv-bar span.neg{background:#b35806}
.reveal .vv-opening{left:${FIGURE.x}px;top:220px;width:${FIGURE.width}px}
.reveal .vv-prompt{font-size:72px;line-height:1.2;font-weight:700;margin:0 0 48px}
.reveal .vv-lead{font-size:44px;line-height:1.35;margin:0 0 40px}
.reveal .vv-pick{font-weight:700;border-bottom:6px solid #bf8700;white-space:pre}
.reveal .vv-facts{font-size:34px;opacity:.7}
.reveal section.vv a{color:var(--vv-link)}
/* The slide number sits bottom left, the controls bottom right: both below the figure area. */
.reveal .slide-number{left:16px;right:auto;bottom:16px;font-family:var(--vv-font);font-size:20px}
`;

export interface DeckPage {
  readonly html: string;
  /** Files to write beside index.html (none for a single file). */
  readonly files: readonly Asset[];
  readonly slides: number;
  readonly fragments: number;
}

function attrs(values: Readonly<Record<string, string>>): string {
  return Object.entries(values)
    .map(([k, v]) => (v === '' ? ` ${k}` : ` ${k}="${escapeHtml(v)}"`))
    .join('');
}

function section(slide: Slide, seconds: number): string {
  return `<section class="vv"${attrs(slide.attrs)} data-title="${escapeHtml(slide.title)}" data-timing="${seconds}">${slide.html}<aside class="notes">${slide.notes}</aside></section>`;
}

const wordsIn = (html: string) => html.replace(/<[^>]*>/g, ' ').split(/\s+/).filter(Boolean).length;

/** Seconds per slide for the speaker view's pacing: the talk's length shared by how much each slide's notes say (at least 20 s each). */
export function slideTimings(slides: readonly Slide[], length: TalkLength): number[] {
  const total = TALK_LENGTHS[length].minutes * 60;
  const floor = 20;
  const words = slides.map((s) => wordsIn(s.notes));
  const sum = words.reduce((a, b) => a + b, 0) || 1;
  const spare = Math.max(0, total - floor * slides.length);
  return words.map((w) => Math.round(floor + (spare * w) / sum));
}

export function deckHtml(trace: Trace, drawings: StageDrawings, stacks: readonly SlideStack[], options: { theme: string; singleFile: boolean; length: TalkLength }): DeckPage {
  const assets = revealAssets(options.theme);
  const timings = slideTimings(stacks.flatMap((st) => st.slides), options.length);
  let next = 0;
  const sectionOf = (slide: Slide) => section(slide, timings[next++]!);
  const slides = stacks
    .map((stack) => (stack.slides.length === 1 ? sectionOf(stack.slides[0]!) : `<section data-stack="${stack.id}">${stack.slides.map(sectionOf).join('\n')}</section>`))
    .join('\n');
  // Each drawing once, rendered (so slides can <use> it) but out of sight.
  const defined = drawings.stages.filter((d) => d.svg !== undefined).map((d) => `<g id="${drawingHref(d.id)}">${d.svg}</g>`).join('');
  const css = options.singleFile ? assets.css.map((a) => `<style>${inlineStyle(a.data)}</style>`).join('\n') : assets.css.map((a) => `<link rel="stylesheet" href="${a.path}">`).join('\n');
  const init = `(function(){
var params=new URLSearchParams(location.search);
var printing=params.has('print-pdf');
document.querySelector('.reveal').addEventListener('pdf-ready',function(){document.documentElement.setAttribute('data-pdf-ready','')});
Reveal.initialize({hash:true,width:${CANVAS.width},height:${CANVAS.height},margin:0.02,minScale:0.05,maxScale:4,center:false,
transition:'slide',autoAnimateDuration:0.9,slideNumber:'c/t',controlsLayout:'bottom-right',pdfSeparateFragments:false,pdfMaxPagesPerSlide:1,
showNotes:printing&&params.has('notes')?'separate-page':false,plugins:[RevealNotes]});
})();`;
  const js = options.singleFile ? assets.js.map((a) => `<script>${inlineScript(a.data)}</script>`).join('\n') : assets.js.map((a) => `<script src="${a.path}"></script>`).join('\n');
  const count = stacks.reduce((s, st) => s + st.slides.length, 0);
  const fragments = stacks.reduce((s, st) => s + st.slides.reduce((f, sl) => f + sl.fragments, 0), 0);
  const title = `${trace.config.name}: “${trace.prompt}”, one forward pass`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta name="generator" content="Vectorview talk">
<title>${escapeHtml(title)}</title>
${css}
<style>${TALK_CSS}</style>
</head>
<body>
<svg class="vv-defs" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="0" height="0" style="position:absolute;width:0;height:0;overflow:hidden" aria-hidden="true" focusable="false" font-family="${escapeHtml(drawings.fontFamily)}" fill="${drawings.ink}">${drawings.defs}${defined}</svg>
<div class="reveal">
<div class="slides">
${slides}
</div>
</div>
${js}
<script>${inlineScript(init)}</script>
</body>
</html>
`;
  return { html, files: options.singleFile ? [] : [...assets.css, ...assets.js], slides: count, fragments };
}

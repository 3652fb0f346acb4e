/** The deck's HTML page: reveal.js markup around the slides, the shared SVG defs, and the talk's styles. */
import type { Poster } from '@vectorview/renderer';
import type { Trace } from '@vectorview/trace';
import { inlineScript, inlineStyle, revealAssets, type Asset } from './assets.js';
import { CANVAS, type Slide, type SlideStack } from './slides.js';
import { escapeHtml } from './text.js';

const TALK_CSS = `
:root{--vv-ink:#1f2328;--vv-muted:#57606a;--vv-rule:#d0d7de;--vv-link:#1d5fa8;--vv-font:Inter,'Helvetica Neue',Helvetica,Arial,sans-serif}
.reveal{font-family:var(--vv-font)}
.reveal .slides section.vv{padding:0}
.reveal .vv-slide{display:inline-flex;flex-direction:column;align-items:center;gap:14px;background:#fff;border:1px solid var(--vv-rule);border-radius:16px;padding:8px;color:var(--vv-ink);font-family:var(--vv-font);text-align:left;box-sizing:content-box;vertical-align:top}
.reveal .vv-crop{position:relative;flex:none}
.reveal .vv-crop>svg{display:block;max-width:none;max-height:none;margin:0}
.reveal .vv-carry{position:absolute;pointer-events:none}
.reveal .vv-carry>svg{display:block;width:100%;height:100%}
.reveal .vv-row{display:flex;gap:48px;align-items:center;justify-content:center}
.reveal .vv-pattern{position:relative;flex:none}
.reveal .vv-rl{position:absolute;left:0;text-align:right;white-space:nowrap;overflow:hidden;line-height:1.2;color:var(--vv-ink)}
.reveal .vv-cl{position:absolute;writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;overflow:hidden;line-height:1.2;color:var(--vv-ink)}
.reveal .vv-panel{font-size:28px;line-height:1.4;color:var(--vv-ink);text-align:left;flex:none;box-sizing:border-box;padding:8px 24px 16px}
.reveal .vv-panel h3,.reveal .vv-closing h2,.reveal .vv-closing h3{font-family:var(--vv-font);color:var(--vv-ink);text-transform:none;letter-spacing:0;text-shadow:none;margin:0 0 14px;line-height:1.2;font-weight:700}
.reveal .vv-panel h3{font-size:40px}
.reveal .vv-panel p,.reveal .vv-closing p{margin:0 0 14px}
.reveal .vv-small{font-size:24px}
.reveal .vv-muted{color:var(--vv-muted)}
.reveal .vv-slide code{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.9em;background:#f6f8fa;border-radius:4px;padding:0 .2em;color:#7a2e0e}
.reveal .vv-tokens{line-height:1.7}
.reveal .vv-tok{display:inline-block;margin-right:.6em;white-space:nowrap}
.reveal .vv-tok b{color:var(--vv-muted);font-weight:600}
.reveal table.vv-table{border-collapse:collapse;margin:0 0 14px;font-size:26px;color:var(--vv-ink);width:auto}
.reveal table.vv-table th,.reveal table.vv-table td{padding:5px 14px;border:none;border-bottom:1px solid var(--vv-rule);text-align:left;vertical-align:middle}
.reveal table.vv-table th{font-weight:700;color:var(--vv-muted);font-size:.85em}
.reveal table.vv-table .num{text-align:right;font-variant-numeric:tabular-nums}
.reveal table.vv-table tr.vv-chosen td{background:#fff8c5;font-weight:700}
.reveal table.vv-table tr.vv-out td{color:#8c959f;text-decoration:line-through}
.reveal .vv-filter{width:1500px}
.reveal .vv-bar{white-space:nowrap;font-variant-numeric:tabular-nums}
.reveal .vv-bar span{display:inline-block;height:18px;background:#0a6d80;border-radius:3px;vertical-align:middle;margin-right:10px}
.reveal .vv-html{padding:40px 56px;width:1700px;min-height:860px;box-sizing:border-box}
.reveal .vv-closing{display:flex;gap:56px;width:100%;align-items:flex-start}
.reveal .vv-closing h2{font-size:60px}
.reveal .vv-closing h3{font-size:36px}
.reveal .vv-col{flex:1 1 0;min-width:0}
.reveal .vv-col:first-child{flex:1.25 1 0}
.reveal .vv-lead{font-size:30px;line-height:1.4}
.reveal .vv-pick{font-weight:700;font-size:1.25em;background:#fff8c5;border:1.5px solid #9a6700;border-radius:6px;padding:0 .25em;white-space:pre}
.reveal .vv-sources ul{margin:0;padding-left:1.1em;font-size:22px;line-height:1.3}
.reveal .vv-sources li{margin:0 0 8px}
.reveal .vv-slide a{color:var(--vv-link);text-decoration:underline}
.reveal .vv-candidates{font-size:25px}
.reveal .slide-number{font-family:var(--vv-font)}
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

function section(slide: Slide): string {
  return `<section class="vv"${attrs(slide.attrs)} data-title="${escapeHtml(slide.title)}">${slide.html}<aside class="notes">${slide.notes}</aside></section>`;
}

export function deckHtml(trace: Trace, poster: Poster, stacks: readonly SlideStack[], options: { theme: string; singleFile: boolean }): DeckPage {
  const assets = revealAssets(options.theme);
  const defsStart = poster.svg.indexOf('<defs>');
  const defsEnd = poster.svg.indexOf('</defs>', defsStart);
  const defs = defsStart >= 0 ? poster.svg.slice(defsStart, defsEnd + '</defs>'.length) : '';
  const slides = stacks
    .map((stack) => (stack.slides.length === 1 ? section(stack.slides[0]!) : `<section data-stack="${stack.id}">${stack.slides.map(section).join('\n')}</section>`))
    .join('\n');
  const css = options.singleFile ? assets.css.map((a) => `<style>${inlineStyle(a.data)}</style>`).join('\n') : assets.css.map((a) => `<link rel="stylesheet" href="${a.path}">`).join('\n');
  const init = `(function(){
var params=new URLSearchParams(location.search);
var printing=params.has('print-pdf');
document.querySelector('.reveal').addEventListener('pdf-ready',function(){document.documentElement.setAttribute('data-pdf-ready','')});
Reveal.initialize({hash:true,width:${CANVAS.width},height:${CANVAS.height},margin:0.03,minScale:0.05,maxScale:4,center:true,
transition:'slide',autoAnimateDuration:0.9,slideNumber:'c/t',pdfSeparateFragments:false,pdfMaxPagesPerSlide:1,
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
<svg class="vv-defs" xmlns="http://www.w3.org/2000/svg" width="0" height="0" style="position:absolute;width:0;height:0;overflow:hidden" aria-hidden="true" focusable="false">${defs}</svg>
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

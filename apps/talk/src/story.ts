/**
 * The talk's story around the stage slides: it opens with the prompt and the prediction, shows each
 * head of the drawn layer with its TransformerLens `detect_head` scores, and closes with the mechanism
 * (which components wrote the answer, read from the trace's attribution and logit lens) and the
 * prediction itself. Every number comes from the trace.
 */
import { SOURCES } from '@vectorview/content';
import { tokenizerForVocabulary } from '@vectorview/engine/node';
import type { StageDrawing, StageDrawings } from '@vectorview/renderer';
import { attributionOf, componentLabel, HEAD_ROLES, headScore, topIndices, type Trace } from '@vectorview/trace';
import { figureHtml, stageNotes, titleHtml, type Slide, type SlideOptions } from './figure.js';
import { escapeHtml } from './text.js';

/** Where a head's pattern goes when its scores sit beside it. */
const HEAD_FIGURE = { x: 80, y: 150, width: 1000, height: 770 } as const;

const fmt = (v: number, digits = 2) => v.toFixed(digits);

/** The end of a long prompt, cut at a word where possible. */
function tail(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const cut = chars.slice(chars.length - max).join('');
  const space = cut.indexOf(' ');
  return `…${space > 0 && space < 20 ? cut.slice(space) : cut}`;
}

function tokenText(trace: Trace): (id: number) => string {
  const tok = tokenizerForVocabulary(trace.config.n_vocab);
  return (id) => JSON.stringify(tok.readable(id));
}

/** The opening: the prompt, the model's answer and the size of what computed it. */
export function titleSlide(trace: Trace, drawings: StageDrawings): Slide {
  const c = trace.config;
  const text = tokenText(trace);
  const chosen = trace.decode?.chosen;
  const answer = chosen ? `<p class="vv-lead">${escapeHtml(c.name)} continues with <span class="vv-pick">${escapeHtml(text(chosen.id))}</span> <span class="vv-muted">p = ${fmt(chosen.prob, 3)}</span></p>` : '';
  const html =
    `<div class="vv-opening"><p class="vv-prompt">“${escapeHtml(tail(trace.prompt, 80))}”</p>${answer}` +
    `<p class="vv-facts">${trace.tokens.length} tokens · ${c.n_layer} layers · ${c.n_head} heads · d<sub>model</sub> ${c.d_model.toLocaleString('en-US')}</p></div>`;
  const title = drawings.stages.find((d) => d.id === 'stage-title');
  const lead = chosen ? `We give ${c.name} the prompt “${trace.prompt}” and it answers ${text(chosen.id)} with probability ${fmt(chosen.prob, 3)}. The next slides follow that one forward pass, vector by vector, with the real numbers.` : '';
  return { html, notes: title ? stageNotes(title, lead) : `<p>${escapeHtml(lead)}</p>`, attrs: { 'data-stage': 'opening' }, fragments: 0, title: 'One forward pass' };
}

const roleName = (role: string) => role.replace(/_/g, ' ');

/** One slide per head of the drawn layer (or the heads asked for): its pattern and its detect_head scores. */
export function headSlides(trace: Trace, drawings: StageDrawings, attention: StageDrawing, opts: SlideOptions, only: readonly number[] | undefined, patternId: (layer: number, head: number) => string): Slide[] {
  const L = opts.layer;
  const heads = only ?? Array.from({ length: trace.config.n_head }, (_, h) => h);
  const scores = trace.analysis.heads;
  const slides: Slide[] = [];
  for (const h of heads) {
    const box = attention.elements.find((e) => e.id === patternId(L, h))?.box;
    if (!box) continue;
    const view = { box: { x: box.x - 6, y: box.y - 6, width: box.width + 12, height: box.height + 12 }, steps: [] };
    const figure = figureHtml(drawings, attention, view, `attention pattern of layer ${L}, head ${h}`, [], HEAD_FIGURE);
    const rows = scores ? HEAD_ROLES.map((role) => `<tr><td>${escapeHtml(roleName(role))}</td><td class="num">${fmt(headScore(scores[role], trace.config, L, h))}</td></tr>`).join('') : '';
    const panel = scores
      ? `<div class="vv-side"><p class="vv-label">detect_head scores</p><table class="vv-table"><tbody>${rows}</tbody></table></div>`
      : `<div class="vv-side"><p class="vv-label">A one-token prompt gives no head scores.</p></div>`;
    const best = scores ? HEAD_ROLES.map((role) => ({ role, v: headScore(scores[role], trace.config, L, h) })).sort((a, b) => b.v - a.v)[0]! : undefined;
    const lead = best
      ? `Layer ${L}, head ${h}. Its strongest detect_head score on this prompt is ${roleName(best.role)}, ${fmt(best.v)}: the share of its attention, summed over the positions where that pattern says where to look, as TransformerLens's detect_head computes it.`
      : `Layer ${L}, head ${h}.`;
    slides.push({ html: titleHtml(`Layer ${L}, head ${h}`) + figure.html + panel, notes: stageNotes(attention, lead), attrs: { 'data-stage': 'stage-attention', 'data-head': String(h) }, fragments: 0, title: `Attention pattern, layer ${L} head ${h}` });
  }
  return slides;
}

/** The components that added most to the decoded token's logit, largest first, with their share of the positive total. */
function mechanism(trace: Trace): { label: string; value: number }[] {
  const attribution = trace.analysis.attribution;
  const chosen = trace.decode?.chosen;
  if (!attribution || !chosen) return [];
  const column = Array.from(attribution.targets).indexOf(chosen.id);
  if (column < 0) return [];
  const n = attribution.targets.length;
  const values = attribution.components.map((_, i) => attribution.directLogit[i * n + column]!);
  return topIndices(values, 4).map((i) => ({ label: attribution.components[i]!, value: values[i]! }));
}

/** The first point of the logit lens where the decoded token is the top guess. */
function firstLead(trace: Trace): string | undefined {
  const lens = trace.analysis.logitLens;
  const chosen = trace.decode?.chosen;
  if (!lens || !chosen) return undefined;
  const column = Array.from(lens.targets).indexOf(chosen.id);
  if (column < 0) return undefined;
  const point = lens.points.findIndex((_, p) => lens.targetRanks[p * lens.targets.length + column] === 1);
  return point < 0 ? undefined : lens.points[point];
}

/** The close: the mechanism, then the prediction with its candidates. */
export function closingSlides(trace: Trace, opts: SlideOptions): Slide[] {
  const text = tokenText(trace);
  const decode = trace.decode;
  const top = mechanism(trace);
  const lead = firstLead(trace);
  const opened = trace.analysis.attribution && decode ? attributionOf(trace.analysis.attribution, componentLabel.head(opts.layer, opts.head), decode.chosen.id) : undefined;
  const max = Math.max(1e-9, ...top.map((t) => Math.abs(t.value)));
  const bars = top
    .map((t) => `<tr><td><code>${escapeHtml(t.label)}</code></td><td class="vv-bar"><span class="${t.value < 0 ? 'neg' : ''}" style="width:${px((Math.abs(t.value) / max) * 600)}"></span>${fmt(t.value)}</td></tr>`)
    .join('');
  const answer = decode ? text(decode.chosen.id) : '';
  const mechanismHtml =
    `${titleHtml(`Who wrote ${answer}`)}<div class="vv-body">` +
    (top.length ? `<table class="vv-table vv-bars"><thead><tr><th>component</th><th>direct logit attribution</th></tr></thead><tbody>${bars}</tbody></table>` : '<p>This trace carries no attribution.</p>') +
    (lead ? `<p>Logit lens: first on top at <code>${escapeHtml(lead)}</code>.</p>` : trace.analysis.logitLens && decode ? '<p>Logit lens: never the top guess; it was sampled.</p>' : '') +
    (opened === undefined ? '' : `<p>Opened head <code>${escapeHtml(componentLabel.head(opts.layer, opts.head))}</code>: ${fmt(opened)}.</p>`) +
    `</div>`;
  const mechanismNotes =
    `<p><strong>The mechanism.</strong> ${decode ? `The model answered ${escapeHtml(answer)} with probability ${fmt(decode.chosen.prob, 3)}.` : ''} ` +
    (top.length ? `Splitting the final residual vector into what each component wrote, and reading each part through the final LayerNorm scale and the unembedding, the largest direct contributions to that logit are ${top.map((t) => `${escapeHtml(t.label)} (${fmt(t.value)})`).join(', ')}. ` : '') +
    (lead ? `The logit lens puts the answer on top first at ${escapeHtml(lead)}; before that point the stream was still predicting something else. ` : trace.analysis.logitLens && decode ? 'The logit lens never ranks the answer first at any depth: it was not the most probable token, the sampler picked it. ' : '') +
    (opened === undefined ? '' : `The head we opened, ${escapeHtml(componentLabel.head(opts.layer, opts.head))}, adds ${fmt(opened)} to that logit directly. `) +
    `Its QK and OV circuits showed what it looks for and what it writes. Direct attribution counts only what reaches the logits straight through the stream: a component that works through later ones is undercounted, which is why the lens and the head scores are shown beside it.</p>`;
  const slides: Slide[] = [{ html: mechanismHtml, notes: mechanismNotes, attrs: { 'data-stage': 'mechanism' }, fragments: 0, title: 'The mechanism' }];

  const listed = decode ? decode.candidates.slice(0, 5) : [];
  const maxP = Math.max(1e-9, ...listed.map((c) => c.prob));
  const rows = listed
    .map((c) => `<tr${c.id === decode?.chosen.id ? ' class="vv-chosen"' : ''}><td><code>${escapeHtml(text(c.id))}</code></td><td class="vv-bar"><span style="width:${px((c.prob / maxP) * 500)}"></span>${fmt(c.prob, 3)}</td></tr>`)
    .join('');
  const s = decode?.settings;
  const how = !s ? '' : s.strategy === 'greedy' ? 'greedy decoding' : `sampled, T = ${s.temperature}, seed ${s.seed}`;
  const predictionHtml = `${titleHtml('The prediction')}<div class="vv-body">${decode ? `<table class="vv-table vv-bars"><tbody>${rows}</tbody></table><p class="vv-muted">${escapeHtml(how)}</p>` : '<p>This trace carries no decoding record.</p>'}</div>`;
  const sources = Object.values(SOURCES)
    .map((src) => `<li><a href="${escapeHtml(src.url)}">${escapeHtml(src.title)}</a>${src.year ? ` (${src.year})` : ''}</li>`)
    .join('');
  const predictionNotes =
    `<p><strong>The prediction.</strong> ${decode ? `The next token is ${escapeHtml(text(decode.chosen.id))}, probability ${fmt(decode.chosen.prob, 3)}, by ${escapeHtml(how)}.` : ''} ` +
    `Everything in this talk was computed in this one pass: ${trace.tokens.length} tokens through ${trace.config.n_layer} layers, with only the last position unembedded.</p>` +
    `<p>Sources and further reading:</p><ul>${sources}</ul>`;
  slides.push({ html: predictionHtml, notes: predictionNotes, attrs: { 'data-stage': 'closing' }, fragments: 0, title: 'The prediction' });
  return slides;
}

const px = (v: number) => `${Math.round(v * 10) / 10}px`;

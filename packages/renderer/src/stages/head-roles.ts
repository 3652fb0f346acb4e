/**
 * What each head does, from the trace's analysis: every head of every layer in one grid, coloured
 * by its strongest detect_head role on this prompt, beside a grid of the induction probe's scores,
 * with the score uniform attention would get as the baseline for each.
 */
import { HEAD_ROLE_WORDS, headRoleSentence, inductionProbeSentence } from '@vectorview/content';
import { HEAD_ROLES, uniformProbeScore, uniformRoleScore, type HeadRole } from '@vectorview/trace';
import { scaleLinear } from 'd3-scale';
import { fmtProb, probColor } from '../marks/attention.js';
import { defineStage } from '../stage.js';
import { attrs, hstack, marked, vstack, type Block } from '../svg.js';
import { INK, INNER_WIDTH, MUTED, RULE, SIZE } from '../theme.js';
import { capCentre, label } from '../text.js';
import { caption, frame } from './common.js';

const meta = { id: 'stage-head-roles', category: 'attention' } as const;

/** One colour per role (Okabe–Ito, colour-blind safe); each cell also prints its role's initial. */
export const ROLE_COLOR: Readonly<Record<HeadRole, string>> = { previous_token: '#d55e00', duplicate_token: '#0072b2', induction: '#009e73', first_token: '#cc79a7' };
const ROLE_INITIAL: Readonly<Record<HeadRole, string>> = { previous_token: 'P', duplicate_token: 'D', induction: 'I', first_token: 'F' };
/** Cells at least this wide print their score and role initial (at `SIZE.min` or larger). */
const NUMBER_CELL = SIZE.min / 0.32;
const GRID_GAP = 40;
const GRID_WIDTH = (INNER_WIDTH - GRID_GAP) / 2;
const GRID_HEIGHT = 1400;
/** A grid's cell side and label sizes: the row labels take their room first, the cells share the rest. */
function gridGeometry(nLayer: number, nHead: number): { cell: number; axisSize: number; left: number } {
  const largest = Math.min(56, GRID_WIDTH / nHead, GRID_HEIGHT / nLayer);
  const axisSize = Math.min(SIZE.caption, Math.max(SIZE.min, largest * 0.6));
  const left = axisSize * 3;
  return { cell: Math.min(largest, (GRID_WIDTH - left) / nHead), axisSize, left };
}

/** Each head's strongest role and its score, [n_layer · n_head] in row-major order. */
export function strongestRoles(heads: Readonly<Record<HeadRole, Float32Array>>): { role: HeadRole; score: number }[] {
  const count = heads.previous_token.length;
  return Array.from({ length: count }, (_, i) => {
    let best: HeadRole = HEAD_ROLES[0];
    for (const role of HEAD_ROLES) if (heads[role][i]! > heads[best][i]!) best = role;
    return { role: best, score: heads[best][i]! };
  });
}

interface GridCell {
  readonly fill: string;
  readonly text?: string;
  readonly data: Readonly<Record<string, string | number>>;
}

function grid(id: string, title: string, nLayer: number, nHead: number, cellAt: (layer: number, head: number) => GridCell): Block {
  const { cell, axisSize, left } = gridGeometry(nLayer, nHead);
  const numbers = cell >= NUMBER_CELL;
  const size = Math.min(SIZE.caption, cell * 0.32);
  const top = SIZE.small * 1.8 + axisSize * 1.6;
  const heading = label(title, 0, SIZE.small, { size: SIZE.small, weight: 700, fill: INK });
  let svg = heading.svg;
  // The printed scores repeat the cells' colours: kept apart as detail (`g.detail`), which a slide leaves out.
  let detail = '';
  const every = Math.ceil((axisSize * 2) / cell);
  for (let h = 0; h < nHead; h += every) svg += label(`H${h}`, left + h * cell + cell / 2, top - 6, { size: axisSize, anchor: 'middle', fill: MUTED }).svg;
  for (let l = 0; l < nLayer; l++) {
    const y = top + l * cell;
    if (l % every === 0) svg += label(`L${l}`, left - 6, y + cell / 2 + capCentre(axisSize), { size: axisSize, anchor: 'end', fill: MUTED }).svg;
    for (let h = 0; h < nHead; h++) {
      const c = cellAt(l, h);
      const x = left + h * cell;
      svg += `<rect${attrs({ x, y, width: cell, height: cell, fill: c.fill, stroke: RULE, 'stroke-width': 0.8, ...c.data })}/>`;
      if (numbers && c.text) {
        detail += `<text${attrs({ x: x + cell / 2, y: y + cell / 2 + capCentre(size), 'font-size': size, 'text-anchor': 'middle', fill: INK, ...c.data })}>${c.text}</text>`;
      }
    }
  }
  if (detail) svg += `<g class="detail">${detail}</g>`;
  return marked({ svg: `<g${attrs({ id })}>${svg}</g>`, width: Math.max(heading.width, left + nHead * cell), height: top + nLayer * cell }, 'id', id);
}

function swatch(color: string, text: string): Block {
  const l = label(text, 26, SIZE.caption * 0.9, { size: SIZE.caption, fill: INK });
  return { svg: `<rect${attrs({ width: 18, height: 18, y: -2, fill: color })}/>` + l.svg, width: 26 + l.width, height: SIZE.caption * 1.6 };
}

export const headRolesStage = defineStage({
  ...meta,
  title: 'What each head does',
  tex: () => [],
  reads: () => [],
  prepare: () => ({ scales: [] }),
  draw(ctx) {
    const { heads, inductionProbe } = ctx.trace.analysis;
    const { n_layer: L, n_head: H } = ctx.config;
    const tokens = ctx.trace.tokens.map((t) => t.id);
    const parts: Block[] = [];
    const sentences: string[] = [];
    const grids: Block[] = [];
    if (heads) {
      const strongest = strongestRoles(heads);
      const baselines = Object.fromEntries(HEAD_ROLES.map((role) => [role, uniformRoleScore(role, tokens)])) as Record<HeadRole, number>;
      const ramps = new Map(HEAD_ROLES.map((role) => [role, scaleLinear<string>().domain([0, 1]).range(['#ffffff', ROLE_COLOR[role]]).clamp(true)] as const));
      grids.push(
        grid('grid-head-roles', `strongest role on this prompt (${L} layers × ${H} heads)`, L, H, (l, h) => {
          const { role, score } = strongest[l * H + h]!;
          return { fill: ramps.get(role)!(0.15 + 0.85 * score), text: `${ROLE_INITIAL[role]} ${fmtProb(score)}`, data: { 'data-head': `L${l}H${h}`, 'data-role': role, 'data-value': score } };
        }),
      );
      parts.push(hstack(HEAD_ROLES.map((role) => swatch(ROLE_COLOR[role], `${ROLE_INITIAL[role]}: ${HEAD_ROLE_WORDS[role]} (uniform ${fmtProb(baselines[role])})`)), 28));
      // A role with nothing to detect on this prompt (no repeated token: duplicate, induction) scores 0 everywhere; say that instead of naming a head.
      const absent = HEAD_ROLES.filter((role) => baselines[role] === 0 && heads[role].every((v) => v === 0));
      for (const role of HEAD_ROLES) if (!absent.includes(role)) sentences.push(headRoleSentence(role, heads[role], H, baselines[role]));
      if (absent.length) sentences.push(`This prompt gives the ${absent.map((role) => HEAD_ROLE_WORDS[role]).join(' and ')} ${absent.length > 1 ? 'roles' : 'role'} no position to look at, so every head scores 0 there.`);
    } else {
      sentences.push('A one-token prompt gives the role scores nothing to measure: every head can only attend to that token.');
    }
    if (inductionProbe) {
      const uniform = uniformProbeScore(inductionProbe.repeat);
      grids.push(
        grid('grid-head-probe', `induction score on ${inductionProbe.tokens.length} repeated random tokens`, L, H, (l, h) => {
          const score = inductionProbe.scores[l * H + h]!;
          return { fill: probColor(score), text: fmtProb(score), data: { 'data-probe': `L${l}H${h}`, 'data-value': score } };
        }),
      );
      parts.push(swatch(probColor(0.6), `probe: darker is more induction-like (uniform attention ${fmtProb(uniform)})`));
      sentences.push(inductionProbeSentence(inductionProbe.scores, H, uniform));
    }
    const numbersNote = grids.length && gridGeometry(L, H).cell < NUMBER_CELL ? ` At ${L} × ${H} heads the cells are too small for printed scores; the sentences give the strongest.` : '';
    const drawing = vstack(
      [
        caption(ctx, sentences.join(' '), INNER_WIDTH, SIZE.body, INK),
        hstack(grids, GRID_GAP, 'start'),
        ...parts,
        caption(ctx, `A cell's colour is its strongest role, darker for a higher score (the share of its attention on the positions that role predicts, as TransformerLens's detect_head scores it).${numbersNote}`, INNER_WIDTH, SIZE.caption, MUTED),
      ],
      16,
    );
    return frame(ctx, meta, drawing, { note: 'below' });
  },
});

/** Token chips: the display form of each token in a green rounded box, its id beneath. */
import type { TokenInfo } from '@vectorview/trace';
import { measure } from '../fonts.js';
import { attrs, n, type Block } from '../svg.js';
import { CATEGORY, INK, MUTED, SIZE } from '../theme.js';
import { capCentre, label } from '../text.js';

export interface ChipLayout {
  readonly x: number;
  readonly y: number;
  readonly width: number;
}

/** Lays chips out in rows that wrap at `width`; returns the chips' positions so ids can align under them. */
export function chipRow(tokens: readonly TokenInfo[], width: number, o: { size?: number; gap?: number; withIds?: boolean; withMerges?: boolean; idClass?: string; positions?: readonly number[]; breaks?: readonly number[] } = {}): Block & { chips: ChipLayout[] } {
  const size = o.size ?? SIZE.body;
  const gap = o.gap ?? 8;
  const padX = 8;
  const chipH = size * 1.7;
  const idH = o.withIds ? size * 1.3 : 0;
  const mergeH = o.withMerges && tokens.some((t) => t.merges?.length) ? SIZE.tiny * 1.5 : 0;
  const rowH = chipH + idH + mergeH + gap * 1.5;
  const c = CATEGORY.tokenizer;
  const chips: ChipLayout[] = [];
  const parts: string[] = [];
  const ids: string[] = [];
  let x = 0;
  let y = 0;
  const breaks = new Set(o.breaks ?? []);
  tokens.forEach((t, i) => {
    const pos = o.positions?.[i] ?? i;
    const text = t.display;
    const tw = measure(text, size, { weight: 600 });
    const idText = String(t.id);
    const w = Math.max(tw, o.withIds ? measure(idText, size * 0.8) : 0) + 2 * padX;
    if (x > 0 && x + w > width) {
      x = 0;
      y += rowH;
    }
    chips.push({ x, y, width: w });
    parts.push(
      `<g${attrs({ class: 'token', 'data-pos': pos, transform: `translate(${n(x)},${n(y)})` })}><rect${attrs({ width: w, height: chipH, rx: 6, fill: c.tint, stroke: c.color, 'stroke-width': 1.4 })}/>` +
        label(text, w / 2, chipH / 2 + capCentre(size), { size, weight: 600, anchor: 'middle', fill: INK }).svg +
        `</g>`,
    );
    if (o.withIds) {
      ids.push(label(idText, x + w / 2, y + chipH + size * 1.05, { size: size * 0.8, anchor: 'middle', fill: INK, extra: { class: o.idClass ?? 'token-id', 'data-token-id': t.id, 'data-pos': pos } }).svg);
    }
    if (mergeH && t.merges?.length) {
      const last = t.merges[t.merges.length - 1]!;
      const m = `${last[0]} + ${last[1]}`;
      ids.push(label(m, x + w / 2, y + chipH + idH + SIZE.tiny * 1.1, { size: SIZE.tiny, anchor: 'middle', fill: MUTED }).svg);
    }
    x += w + gap;
    if (breaks.has(i)) {
      const skipped = (o.positions?.[i + 1] ?? i + 1) - pos - 1;
      const gapLabel = `… ${skipped} tokens …`;
      const gw = measure(gapLabel, size * 0.8) + 2 * padX;
      if (x > 0 && x + gw > width) {
        x = 0;
        y += rowH;
      }
      parts.push(label(gapLabel, x + gw / 2, y + chipH / 2 + capCentre(size * 0.8), { size: size * 0.8, anchor: 'middle', fill: MUTED, extra: { class: 'elided-gap' } }).svg);
      x += gw + gap;
    }
  });
  const height = y + chipH + idH + mergeH;
  const maxX = Math.max(0, ...chips.map((ch) => ch.x + ch.width));
  return { svg: `<g class="tokens">${parts.join('')}</g>${ids.length ? `<g class="ids">${ids.join('')}</g>` : ''}`, width: maxX, height, chips };
}

/**
 * Where things are in a stage drawing, read from the renderer's SVG string: every drawn element's
 * box (transforms applied), the boxes of `data-step` groups and of elements with ids (vectors,
 * patterns), and the horizontal bands of empty space that split a tall stage into slide-sized parts.
 * Boxes of text are estimated from character counts (good to a few percent for Inter); the talk
 * only uses them to choose crops with a margin, never to place text.
 */

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface Leaf {
  /** Offsets of the element in the scanned string: [start, end). */
  readonly start: number;
  readonly end: number;
  readonly box: Box;
  readonly text: boolean;
  /** The nearest enclosing `data-step`. */
  readonly step: number | undefined;
  /** Inside the stage's annotation (`<g class="note">`). */
  readonly note: boolean;
}

export interface Scan {
  readonly leaves: readonly Leaf[];
  /** Union box of each `data-step` group. */
  readonly steps: ReadonlyMap<number, Box>;
  /** Union box of each element with an id (vectors `vec-…`, patterns, matrices). */
  readonly ids: ReadonlyMap<string, Box>;
  /** The box of the whole scanned drawing. */
  readonly bounds: Box;
}

export interface Band extends Box {
  /** Indices into Scan.leaves. */
  readonly leaves: readonly number[];
  readonly text: boolean;
  readonly note: boolean;
}

type Matrix = readonly [number, number, number, number, number, number];
const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];

function multiply(m: Matrix, n: Matrix): Matrix {
  return [m[0] * n[0] + m[2] * n[1], m[1] * n[0] + m[3] * n[1], m[0] * n[2] + m[2] * n[3], m[1] * n[2] + m[3] * n[3], m[0] * n[4] + m[2] * n[5] + m[4], m[1] * n[4] + m[3] * n[5] + m[5]];
}

/** An SVG transform attribute as a matrix (translate, scale, rotate, matrix; skew is ignored). */
export function parseTransform(text: string | undefined): Matrix {
  let m = IDENTITY;
  if (!text) return m;
  for (const [, fn, raw] of text.matchAll(/(\w+)\s*\(([^)]*)\)/g)) {
    const a = raw!.split(/[\s,]+/).filter(Boolean).map(Number);
    let t: Matrix = IDENTITY;
    if (fn === 'translate') t = [1, 0, 0, 1, a[0] ?? 0, a[1] ?? 0];
    else if (fn === 'scale') t = [a[0] ?? 1, 0, 0, a[1] ?? a[0] ?? 1, 0, 0];
    else if (fn === 'matrix' && a.length === 6) t = a as unknown as Matrix;
    else if (fn === 'rotate') {
      const r = ((a[0] ?? 0) * Math.PI) / 180;
      const [cx, cy] = [a[1] ?? 0, a[2] ?? 0];
      const cos = Math.cos(r);
      const sin = Math.sin(r);
      t = multiply(multiply([1, 0, 0, 1, cx, cy], [cos, sin, -sin, cos, 0, 0]), [1, 0, 0, 1, -cx, -cy]);
    }
    m = multiply(m, t);
  }
  return m;
}

function boxOf(m: Matrix, x0: number, y0: number, x1: number, y1: number): Box {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [x, y] of [
    [x0, y0],
    [x1, y0],
    [x0, y1],
    [x1, y1],
  ] as const) {
    xs.push(m[0] * x + m[2] * y + m[4]);
    ys.push(m[1] * x + m[3] * y + m[5]);
  }
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
}

export function union(a: Box | undefined, b: Box): Box {
  if (!a) return { ...b };
  return { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) };
}

export function intersects(a: Box, b: Box): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/** Points of a path's data (end points and control points), enough for a bounding box. */
function pathExtent(d: string): [number, number, number, number] | undefined {
  let x = 0;
  let y = 0;
  let sx = 0;
  let sy = 0;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  const add = (px: number, py: number) => {
    x0 = Math.min(x0, px);
    y0 = Math.min(y0, py);
    x1 = Math.max(x1, px);
    y1 = Math.max(y1, py);
  };
  const arity: Record<string, number> = { m: 2, l: 2, h: 1, v: 1, c: 6, s: 4, q: 4, t: 2, a: 7, z: 0 };
  for (const [, cmd, args] of d.matchAll(/([MmLlHhVvCcSsQqTtAaZz])([^MmLlHhVvCcSsQqTtAaZz]*)/g)) {
    const lower = cmd!.toLowerCase();
    const rel = cmd !== cmd!.toUpperCase();
    const nums = (args!.match(/-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/gi) ?? []).map(Number);
    const k = arity[lower]!;
    if (k === 0) {
      x = sx;
      y = sy;
      continue;
    }
    for (let i = 0; i + k <= nums.length; i += k) {
      const a = nums.slice(i, i + k);
      const bx = rel ? x : 0;
      const by = rel ? y : 0;
      if (lower === 'h') x = bx + a[0]!;
      else if (lower === 'v') y = by + a[0]!;
      else if (lower === 'a') {
        x = bx + a[5]!;
        y = by + a[6]!;
      } else {
        for (let j = 0; j < k - 2; j += 2) add(bx + a[j]!, by + a[j + 1]!);
        x = bx + a[k - 2]!;
        y = by + a[k - 1]!;
      }
      add(x, y);
      if (lower === 'm' && i === 0) {
        sx = x;
        sy = y;
      }
    }
  }
  return x0 <= x1 ? [x0, y0, x1, y1] : undefined;
}

const SKIP = new Set(['defs', 'style', 'title', 'desc', 'symbol', 'marker', 'clipPath', 'mask', 'linearGradient', 'radialGradient', 'pattern', 'metadata']);

interface Frame {
  readonly tag: string;
  readonly m: Matrix;
  readonly size: number;
  readonly anchor: string;
  readonly bold: boolean;
  readonly step: number | undefined;
  readonly note: boolean;
  readonly skip: boolean;
  readonly id: string | undefined;
  readonly firstLeaf: number;
}

interface TextRun {
  start: number;
  frame: Frame;
  x: number;
  y: number;
  segments: { x: number; anchor: string; chars: number }[];
}

function attributes(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [, k, v] of raw.matchAll(/([\w:-]+)="([^"]*)"/g)) out[k!] = v!;
  return out;
}

const num = (v: string | undefined, d = 0) => (v === undefined || v === '' || !Number.isFinite(Number(v)) ? d : Number(v));

/** Average advance of an Inter character, in em (bold is wider). */
const CHAR_EM = 0.56;
const CHAR_EM_BOLD = 0.6;

/** Scans an SVG fragment (a stage group, or a whole <svg>). */
export function scanSvg(svg: string): Scan {
  const leaves: Leaf[] = [];
  const steps = new Map<number, Box>();
  const ids = new Map<string, Box>();
  const root: Frame = { tag: '#root', m: IDENTITY, size: 16, anchor: 'start', bold: false, step: undefined, note: false, skip: false, id: undefined, firstLeaf: 0 };
  const stack: Frame[] = [root];
  let text: TextRun | undefined;
  const push = (leaf: Leaf) => {
    leaves.push(leaf);
    if (leaf.step !== undefined) steps.set(leaf.step, union(steps.get(leaf.step), leaf.box));
  };
  const re = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+\s*=\s*"[^"]*")*)\s*(\/?)>|([^<]+)/g;
  for (let m = re.exec(svg); m; m = re.exec(svg)) {
    const top = stack[stack.length - 1]!;
    const [whole, closing, tag, rawAttrs, selfClosing, content] = m;
    if (content !== undefined) {
      if (text && !top.skip) {
        const chars = [...content.replace(/&[#\w]+;/g, '_')].length;
        text.segments[text.segments.length - 1]!.chars += chars;
      }
      continue;
    }
    if (closing) {
      const frame = stack.pop()!;
      if (frame.tag === 'text' && text) {
        finishText(text, m.index + whole.length, push);
        text = undefined;
      }
      if (frame.id && !frame.skip) {
        let box: Box | undefined;
        for (let i = frame.firstLeaf; i < leaves.length; i++) box = union(box, leaves[i]!.box);
        if (box) ids.set(frame.id, box);
      }
      continue;
    }
    const a = attributes(rawAttrs ?? '');
    const frame: Frame = {
      tag: tag!,
      m: multiply(top.m, parseTransform(a['transform'])),
      size: a['font-size'] !== undefined ? num(a['font-size'], top.size) : top.size,
      anchor: a['text-anchor'] ?? top.anchor,
      bold: a['font-weight'] !== undefined ? Number(a['font-weight']) >= 600 || a['font-weight'] === 'bold' : top.bold,
      step: a['data-step'] !== undefined ? num(a['data-step']) : top.step,
      note: top.note || /(^|\s)note(\s|$)/.test(a['class'] ?? ''),
      skip: top.skip || SKIP.has(tag!),
      id: a['id'],
      firstLeaf: leaves.length,
    };
    const leafAt = (x0: number, y0: number, x1: number, y1: number) => {
      if (frame.skip) return;
      // Typeset math (<use> of a TeX symbol) belongs with the text around it.
      push({ start: m!.index, end: m!.index + whole.length, box: boxOf(frame.m, x0, y0, x1, y1), text: tag === 'use' && /^#tex-/.test(a['href'] ?? a['xlink:href'] ?? ''), step: frame.step, note: frame.note });
    };
    switch (tag) {
      case 'rect':
      case 'use':
      case 'image': {
        const x = num(a['x']);
        const y = num(a['y']);
        leafAt(x, y, x + num(a['width']), y + num(a['height']));
        break;
      }
      case 'line':
        leafAt(Math.min(num(a['x1']), num(a['x2'])), Math.min(num(a['y1']), num(a['y2'])), Math.max(num(a['x1']), num(a['x2'])), Math.max(num(a['y1']), num(a['y2'])));
        break;
      case 'circle': {
        const r = num(a['r']);
        leafAt(num(a['cx']) - r, num(a['cy']) - r, num(a['cx']) + r, num(a['cy']) + r);
        break;
      }
      case 'ellipse': {
        const [rx, ry] = [num(a['rx']), num(a['ry'])];
        leafAt(num(a['cx']) - rx, num(a['cy']) - ry, num(a['cx']) + rx, num(a['cy']) + ry);
        break;
      }
      case 'path': {
        const e = pathExtent(a['d'] ?? '');
        if (e) leafAt(...e);
        break;
      }
      case 'text':
        if (!frame.skip) text = { start: m.index, frame, x: num(a['x']), y: num(a['y']), segments: [{ x: num(a['x']), anchor: frame.anchor, chars: 0 }] };
        break;
      case 'tspan':
        if (text && a['x'] !== undefined) text.segments.push({ x: num(a['x']), anchor: frame.anchor, chars: 0 });
        break;
    }
    if (!selfClosing) stack.push(frame);
    else if (frame.id && !frame.skip && leaves.length > frame.firstLeaf) ids.set(frame.id, leaves[leaves.length - 1]!.box);
  }
  let bounds: Box | undefined;
  for (const leaf of leaves) bounds = union(bounds, leaf.box);
  return { leaves, steps, ids, bounds: bounds ?? { x0: 0, y0: 0, x1: 0, y1: 0 } };

  function finishText(run: TextRun, end: number, add: (leaf: Leaf) => void): void {
    const f = run.frame;
    const em = f.bold ? CHAR_EM_BOLD : CHAR_EM;
    let x0 = Infinity;
    let x1 = -Infinity;
    for (const s of run.segments) {
      if (s.chars === 0) continue;
      const w = s.chars * em * f.size;
      const start = s.anchor === 'middle' ? s.x - w / 2 : s.anchor === 'end' ? s.x - w : s.x;
      x0 = Math.min(x0, start);
      x1 = Math.max(x1, start + w);
    }
    if (x0 > x1) return;
    add({ start: run.start, end, box: boxOf(f.m, x0, run.y - 0.8 * f.size, x1, run.y + 0.26 * f.size), text: true, step: f.step, note: f.note });
  }
}

/**
 * Splits the leaves into horizontal bands separated by empty rows at least `gap` tall. Leaves
 * taller than `ignoreTaller` (backgrounds, the category stripe) do not take part.
 */
export function bands(scan: Scan, options: { gap?: number; ignoreTaller?: number; filter?: (leaf: Leaf) => boolean } = {}): Band[] {
  const gap = options.gap ?? 12;
  const items = scan.leaves
    .map((leaf, i) => ({ leaf, i }))
    .filter(({ leaf }) => leaf.box.y1 - leaf.box.y0 <= (options.ignoreTaller ?? Infinity) && (options.filter?.(leaf) ?? true))
    .sort((a, b) => a.leaf.box.y0 - b.leaf.box.y0);
  const out: { box: Box; leaves: number[]; text: boolean; note: boolean }[] = [];
  for (const { leaf, i } of items) {
    const last = out[out.length - 1];
    if (last && leaf.box.y0 < last.box.y1 + gap) {
      last.box = union(last.box, leaf.box);
      last.leaves.push(i);
      last.text &&= leaf.text;
      last.note &&= leaf.note;
    } else out.push({ box: { ...leaf.box }, leaves: [i], text: leaf.text, note: leaf.note });
  }
  return out.map((b) => ({ ...b.box, leaves: b.leaves, text: b.text, note: b.note }));
}

/** The string without the given leaves (other markup, including now-empty groups, is kept). */
export function pruneLeaves(svg: string, scan: Scan, keep: (leaf: Leaf) => boolean): string {
  let out = '';
  let at = 0;
  for (const leaf of scan.leaves) {
    if (keep(leaf) || leaf.start < at) continue;
    out += svg.slice(at, leaf.start);
    at = leaf.end;
  }
  return out + svg.slice(at);
}

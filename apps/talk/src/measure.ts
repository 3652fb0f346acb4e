/**
 * What a slide shows once all its fragments are in, measured in the browser on the 1,920 × 1,080
 * canvas: its visible words, the smallest text (drawing labels included, read from the drawing each
 * slide <use>s through its viewBox), title and body text sizes, anything outside the frame or under
 * reveal.js's controls and slide number, and its notes. Used by the acceptance tests and the
 * screenshot script; it runs inside the page (`page.evaluate(measureDeck)`), so it is self-contained.
 */

export interface SlideMeasure {
  readonly title: string;
  readonly words: number;
  /** Smallest rendered text, canvas px (HTML and drawing labels). */
  readonly smallestPx: number;
  /** Smallest HTML title or body text, canvas px. */
  readonly smallestBodyPx: number;
  readonly problems: readonly string[];
  readonly notesChars: number;
}

type RevealApi = {
  getSlides(): HTMLElement[];
  getIndices(slide?: HTMLElement): { h: number; v: number };
  slide(h: number, v?: number, f?: number): void;
  getScale(): number;
  getSlideNotes(slide?: HTMLElement): string;
  configure(options: Record<string, unknown>): void;
};

/** Runs in the page: steps through every slide, to the end of its fragments, and measures it. */
export async function measureDeck(): Promise<SlideMeasure[]> {
  const R = (window as unknown as { Reveal: RevealApi }).Reveal;
  R.configure({ transition: 'none', backgroundTransition: 'none', autoAnimate: false });
  const out: SlideMeasure[] = [];
  const wordCount = (text: string) => text.split(/\s+/).filter((w) => /\p{L}/u.test(w)).length;
  const inside = (b: DOMRect, f: DOMRect) => b.left >= f.left - 1 && b.top >= f.top - 1 && b.right <= f.right + 1 && b.bottom <= f.bottom + 1;
  const meets = (a: DOMRect, b: DOMRect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  for (const slide of R.getSlides()) {
    const { h, v } = R.getIndices(slide);
    R.slide(h, v, 999);
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));
    const scale = R.getScale();
    const frame = document.querySelector('.reveal .slides')!.getBoundingClientRect();
    const chrome = [...document.querySelectorAll('.reveal .controls button, .reveal .slide-number')]
      .filter((e) => getComputedStyle(e).display !== 'none' && getComputedStyle(e).visibility !== 'hidden')
      .map((e) => e.getBoundingClientRect())
      .filter((b) => b.width > 0 && b.height > 0);
    const problems: string[] = [];
    let words = 0;
    let smallest = Infinity;
    let smallestBody = Infinity;
    const title = slide.dataset['title'] ?? '';
    // HTML text: every text node outside the notes, in a rendered element.
    const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement!;
      if (el.closest('aside.notes') || el.closest('svg') || !node.textContent?.trim()) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || style.display === 'none' || el.getClientRects().length === 0) continue;
      const size = parseFloat(style.fontSize);
      words += wordCount(node.textContent);
      smallest = Math.min(smallest, size);
      smallestBody = Math.min(smallestBody, size);
    }
    // Everything laid out on the slide: inside the frame, clear of the controls and the slide number.
    for (const el of slide.querySelectorAll(':scope > *:not(aside), .vv-figure, table, p, h2')) {
      const b = el.getBoundingClientRect();
      if (b.width === 0 && b.height === 0) continue;
      const where = `${el.tagName.toLowerCase()}.${el.getAttribute('class') ?? ''} at ${Math.round(b.left)},${Math.round(b.top)}–${Math.round(b.right)},${Math.round(b.bottom)}`;
      if (!inside(b, frame)) problems.push(`${where} outside the frame`);
      if (chrome.some((c) => meets(b, c))) problems.push(`${where} under the controls or slide number`);
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow === 'hidden') problems.push(`${where} cut off`);
    }
    // Drawing labels: the text of the drawing each view <use>s, where it falls inside the view.
    for (const use of slide.querySelectorAll<SVGUseElement>('svg > use')) {
      const svg = use.ownerSVGElement!;
      if (svg.closest('.vv-carry')) continue;
      const drawing = document.getElementById((use.getAttribute('href') ?? '').slice(1));
      if (!drawing) {
        problems.push(`a view of the missing drawing ${use.getAttribute('href')}`);
        continue;
      }
      const vb = svg.viewBox.baseVal;
      const shown = svg.getBoundingClientRect();
      const px = shown.width / vb.width / scale;
      for (const text of drawing.querySelectorAll<SVGTextElement>('text')) {
        const content = text.textContent ?? '';
        if (!content.trim()) continue;
        // Text the page hides (the drawing's prose, moved to the notes) is not on the slide.
        let hidden = false;
        for (let e: Element | null = text; e && e !== drawing && !hidden; e = e.parentElement) hidden = getComputedStyle(e).display === 'none';
        if (hidden) continue;
        const m = text.getCTM();
        const box = text.getBBox();
        if (!m) continue;
        const x0 = m.a * box.x + m.c * box.y + m.e;
        const y0 = m.b * box.x + m.d * box.y + m.f;
        const x1 = m.a * (box.x + box.width) + m.c * (box.y + box.height) + m.e;
        const y1 = m.b * (box.x + box.width) + m.d * (box.y + box.height) + m.f;
        const [left, right, top, bottom] = [Math.min(x0, x1), Math.max(x0, x1), Math.min(y0, y1), Math.max(y0, y1)];
        // Counted when its middle is in view (a label cut at a tile's edge counts in the tile that shows its middle).
        const cx = (left + right) / 2;
        const cy = (top + bottom) / 2;
        if (cx < vb.x || cx > vb.x + vb.width || cy < vb.y || cy > vb.y + vb.height) continue;
        words += wordCount(content);
        smallest = Math.min(smallest, parseFloat(getComputedStyle(text).fontSize) * Math.hypot(m.a, m.b) * px);
      }
    }
    out.push({ title, words, smallestPx: smallest, smallestBodyPx: smallestBody, problems, notesChars: (R.getSlideNotes(slide) ?? '').trim().length });
  }
  return out;
}

/** Parses SVG with a real XML parser, failing on any error or warning. */
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';

export function parseSvg(svg: string): Document {
  const errors: string[] = [];
  const doc = new DOMParser({ onError: (level, message) => {
      // U+FFFD is how the renderer replaces characters XML cannot carry: expected, not an error.
      if (level === 'warning' && /replacement character/.test(message)) return;
      errors.push(`${level}: ${message}`);
    }, }).parseFromString(svg, 'image/svg+xml');
  if (errors.length) throw new Error(`SVG is not well-formed XML:\n${errors.slice(0, 5).join('\n')}`);
  return doc;
}

export function all(doc: Document, predicate: (e: Element) => boolean): Element[] {
  const out: Element[] = [];
  const visit = (e: Element) => {
    if (predicate(e)) out.push(e);
    for (let c = e.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) visit(c as Element);
  };
  if (doc.documentElement) visit(doc.documentElement);
  return out;
}

export function textOf(e: Element): string {
  return e.textContent ?? '';
}

/**
 * Markdown → styled runs, through marked's lexer (no HTML is produced): paragraphs, list items and
 * headings become blocks; **bold**, *italic*, `code`, [links](url) and $TeX$ become runs.
 */
import { Lexer, type Token, type Tokens } from 'marked';
import type { Run, RunStyle } from './text.js';

export interface MdBlock {
  readonly kind: 'paragraph' | 'bullet' | 'heading';
  readonly runs: readonly Run[];
}

const OPEN = '\uE000';
const CLOSE = '\uE001';

/** Replaces $…$ and $$…$$ with placeholders so Markdown never sees TeX's underscores and backslashes. */
function protectMath(markdown: string): { text: string; math: string[] } {
  const math: string[] = [];
  const text = markdown.replace(/(?<!\\)\$\$([\s\S]+?)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$/g, (_m, display?: string, inline?: string) => {
    math.push((display ?? inline ?? '').trim());
    return `${OPEN}${math.length - 1}${CLOSE}`;
  });
  return { text, math };
}

/** Every TeX string in a Markdown text (so MathJax can prepare them ahead of layout). */
export function texIn(markdown: string): string[] {
  return protectMath(markdown).math;
}

function splitMath(text: string, style: RunStyle, math: readonly string[], out: Run[]): void {
  const re = new RegExp(`${OPEN}(\\d+)${CLOSE}`, 'g');
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) out.push({ kind: 'text', text: text.slice(last, m.index), style });
    out.push({ kind: 'math', tex: math[Number(m[1])] ?? '', style });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last), style });
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? _m);
}

function inline(tokens: readonly Token[] | undefined, style: RunStyle, math: readonly string[], out: Run[]): void {
  for (const token of tokens ?? []) {
    switch (token.type) {
      case 'strong':
        inline((token as Tokens.Strong).tokens, { ...style, weight: 700 }, math, out);
        break;
      case 'em':
        inline((token as Tokens.Em).tokens, { ...style, italic: true }, math, out);
        break;
      case 'codespan':
        splitMath(decodeEntities((token as Tokens.Codespan).text), { ...style, code: true }, math, out);
        break;
      case 'link': {
        const link = token as Tokens.Link;
        const safe = /^(https?:|mailto:|#)/i.test(link.href) ? link.href : undefined;
        inline(link.tokens, safe ? { ...style, href: safe } : style, math, out);
        break;
      }
      case 'br':
        out.push({ kind: 'text', text: '\n', style });
        break;
      case 'text':
      case 'escape':
      case 'html':
      case 'del': {
        const t = token as Tokens.Text;
        if ('tokens' in t && t.tokens && t.tokens.length) inline(t.tokens, style, math, out);
        else splitMath(decodeEntities(t.text ?? t.raw), style, math, out);
        break;
      }
      default:
        splitMath(decodeEntities(token.raw), style, math, out);
    }
  }
}

/** Parses Markdown into blocks of runs. */
export function parseMarkdown(markdown: string): MdBlock[] {
  const { text, math } = protectMath(markdown);
  const blocks: MdBlock[] = [];
  const visit = (tokens: readonly Token[]) => {
    for (const token of tokens) {
      const runs: Run[] = [];
      switch (token.type) {
        case 'paragraph':
          inline((token as Tokens.Paragraph).tokens, {}, math, runs);
          blocks.push({ kind: 'paragraph', runs });
          break;
        case 'heading':
          inline((token as Tokens.Heading).tokens, { weight: 700 }, math, runs);
          blocks.push({ kind: 'heading', runs });
          break;
        case 'list':
          for (const item of (token as Tokens.List).items) {
            const itemRuns: Run[] = [];
            for (const child of item.tokens) {
              if (child.type === 'text' || child.type === 'paragraph') inline((child as Tokens.Text).tokens ?? [child], {}, math, itemRuns);
            }
            blocks.push({ kind: 'bullet', runs: itemRuns });
          }
          break;
        case 'blockquote':
          visit((token as Tokens.Blockquote).tokens);
          break;
        case 'code':
          splitMath((token as Tokens.Code).text, { code: true }, math, runs);
          blocks.push({ kind: 'paragraph', runs });
          break;
        case 'space':
        case 'hr':
          break;
        default:
          if ('tokens' in token && Array.isArray(token.tokens)) inline(token.tokens as Token[], {}, math, runs);
          else splitMath(token.raw, {}, math, runs);
          if (runs.length) blocks.push({ kind: 'paragraph', runs });
      }
    }
  };
  visit(new Lexer({ gfm: true }).lex(text));
  return blocks;
}

/** Inline Markdown (one paragraph) → runs. */
export function parseInline(markdown: string, style: RunStyle = {}): Run[] {
  const blocks = parseMarkdown(markdown);
  const runs: Run[] = [];
  blocks.forEach((b, i) => {
    if (i > 0) runs.push({ kind: 'text', text: ' ', style });
    for (const r of b.runs) runs.push({ ...r, style: { ...style, ...r.style } } as Run);
  });
  return runs;
}

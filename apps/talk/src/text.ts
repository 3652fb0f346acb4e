/**
 * The content's Markdown subset (paragraphs, **bold**, *italic*, `code`, [links](https://…) and inline
 * $TeX$) as HTML for speaker notes and slide text. TeX becomes plain Unicode with <sub>/<sup>: notes are
 * read by the speaker, and the slides' typeset math comes from the renderer's SVG.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const SYMBOLS: Record<string, string> = {
  alpha: 'α', beta: 'β', gamma: 'γ', delta: 'δ', epsilon: 'ε', varepsilon: 'ε', theta: 'θ', lambda: 'λ', mu: 'μ', pi: 'π', sigma: 'σ', tau: 'τ', phi: 'φ', omega: 'ω',
  Sigma: 'Σ', Delta: 'Δ', ell: 'ℓ', top: 'ᵀ', cdot: '·', times: '×', le: '≤', leq: '≤', ge: '≥', geq: '≥', ne: '≠', approx: '≈', to: '→', rightarrow: '→', sum: 'Σ',
  odot: '⊙', in: '∈', infty: '∞', ldots: '…', dots: '…', cdots: '⋯', quad: ' ', qquad: '  ', mid: '|', lvert: '|', rvert: '|', langle: '⟨', rangle: '⟩', prime: '′', pm: '±',
};

const ARGUMENTS: Record<string, number> = { text: 1, mathrm: 1, operatorname: 1, mathbf: 1, boldsymbol: 1, textbf: 1, mathit: 1, sqrt: 1, hat: 1, tilde: 1, bar: 1, vec: 1, frac: 2, tfrac: 2, dfrac: 2 };

/** Reads one TeX argument: a {group} or a single token. */
function argument(tex: string, at: number): [string, number] {
  while (tex[at] === ' ') at++;
  if (tex[at] === '{') {
    let depth = 0;
    for (let i = at; i < tex.length; i++) {
      if (tex[i] === '{') depth++;
      else if (tex[i] === '}' && --depth === 0) return [tex.slice(at + 1, i), i + 1];
    }
    return [tex.slice(at + 1), tex.length];
  }
  if (tex[at] === '\\') {
    const m = /^\\([a-zA-Z]+|.)/.exec(tex.slice(at));
    let end = at + (m ? m[0].length : 1);
    // A command with arguments (\text{…}, \frac{…}{…}) is one argument as a whole.
    for (let k = ARGUMENTS[m?.[1] ?? ''] ?? 0; k > 0; k--) end = argument(tex, end)[1];
    return [tex.slice(at, end), end];
  }
  return [tex[at] ?? '', at + 1];
}

/** Simple inline TeX → HTML (escaped). Unknown commands keep their name. */
export function texToHtml(tex: string): string {
  let out = '';
  let i = 0;
  while (i < tex.length) {
    const ch = tex[i]!;
    if (ch === '\\') {
      const m = /^\\([a-zA-Z]+|.)/.exec(tex.slice(i));
      const name = m ? m[1]! : '';
      i += m ? m[0].length : 1;
      if (name === 'text' || name === 'mathrm' || name === 'operatorname' || name === 'mathbf' || name === 'boldsymbol' || name === 'textbf' || name === 'mathit') {
        const [arg, next] = argument(tex, i);
        out += name === 'text' || name === 'operatorname' ? escapeHtml(arg) : texToHtml(arg);
        i = next;
      } else if (name === 'sqrt') {
        const [arg, next] = argument(tex, i);
        out += `√${arg.length > 1 ? `(${texToHtml(arg)})` : texToHtml(arg)}`;
        i = next;
      } else if (name === 'frac' || name === 'tfrac' || name === 'dfrac') {
        const [a, n1] = argument(tex, i);
        const [b, n2] = argument(tex, n1);
        out += `${a.length > 1 ? `(${texToHtml(a)})` : texToHtml(a)}/${b.length > 1 ? `(${texToHtml(b)})` : texToHtml(b)}`;
        i = n2;
      } else if (name === 'hat' || name === 'tilde' || name === 'bar' || name === 'vec') {
        const [arg, next] = argument(tex, i);
        out += texToHtml(arg) + ({ hat: '\u0302', tilde: '\u0303', bar: '\u0304', vec: '\u20d7' } as Record<string, string>)[name]!;
        i = next;
      } else if (name === ',' || name === ';' || name === ':' || name === ' ' || name === '!') out += name === '!' ? '' : ' ';
      else if (name === 'left' || name === 'right' || name === 'big' || name === 'Big' || name === 'displaystyle') continue;
      else if (SYMBOLS[name]) out += SYMBOLS[name];
      else out += escapeHtml(name.length === 1 ? name : `\\${name}`);
    } else if (ch === '_' || ch === '^') {
      const [arg, next] = argument(tex, i + 1);
      const inner = texToHtml(arg);
      out += ch === '^' && inner === 'ᵀ' ? 'ᵀ' : ch === '_' ? `<sub>${inner}</sub>` : `<sup>${inner}</sup>`;
      i = next;
    } else if (ch === '{' || ch === '}') i++;
    else {
      out += escapeHtml(ch);
      i++;
    }
  }
  return out;
}

const MATH_OPEN = '\uE000';
const MATH_CLOSE = '\uE001';

/** Inline Markdown (the content's subset) → HTML. */
export function inlineMarkdown(markdown: string): string {
  const math: string[] = [];
  let text = markdown.replace(/(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$/g, (_m, tex: string) => {
    math.push(tex);
    return `${MATH_OPEN}${math.length - 1}${MATH_CLOSE}`;
  });
  text = escapeHtml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\[([^\]]+)\]\((https?:[^)\s]+)\)/g, (_m, label: string, url: string) => `<a href="${url}">${label}</a>`)
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*\w])\*([^*\s][^*]*?)\*(?!\w)/g, '$1<em>$2</em>')
    .replace(/(^|[^_\w])_([^_\s][^_]*?)_(?!\w)/g, '$1<em>$2</em>');
  return text.replace(new RegExp(`${MATH_OPEN}(\\d+)${MATH_CLOSE}`, 'g'), (_m, i: string) => `<span class="math">${texToHtml(math[Number(i)]!)}</span>`);
}

/** Markdown paragraphs and "- " bullets → HTML blocks. */
export function markdownToHtml(markdown: string): string {
  const blocks = markdown.trim().split(/\n\s*\n/);
  return blocks
    .map((block) => {
      const lines = block.split('\n');
      if (lines.every((l, i) => /^\s*[-*] /.test(l) || (i > 0 && /^\s+\S/.test(l)))) {
        const items: string[] = [];
        for (const l of lines) {
          if (/^\s*[-*] /.test(l)) items.push(l.replace(/^\s*[-*] /, ''));
          else items[items.length - 1] += ` ${l.trim()}`;
        }
        return `<ul>${items.map((it) => `<li>${inlineMarkdown(it)}</li>`).join('')}</ul>`;
      }
      return `<p>${inlineMarkdown(lines.map((l) => l.trim()).join(' '))}</p>`;
    })
    .join('\n');
}

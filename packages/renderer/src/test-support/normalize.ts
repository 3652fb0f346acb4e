/**
 * Snapshot normalisation in the manner of Observable Plot's tests: embedded font data removed,
 * numbers rounded to 3 places, generated ids renumbered in order of appearance, one tag per line.
 */
export function normalizeSvg(svg: string): string {
  let out = svg.replace(/url\(data:font\/woff2;base64,[A-Za-z0-9+/=]+\)/g, 'url(data:font/woff2;base64,…)');
  // MathJax glyph outlines are MathJax's business: keep a checksum of each symbol, not its paths.
  out = out.replace(/(<symbol [^>]*>)([\s\S]*?)(<\/symbol>)/g, (_m, open: string, inner: string, close: string) => `${open}<!-- ${checksum(inner)} -->${close}`);
  out = out.replace(/-?\d+\.\d{4,}/g, (m) => String(Math.round(Number(m) * 1000) / 1000));
  const ids = new Map<string, string>();
  out = out.replace(/tex-[a-z0-9]+/g, (m) => {
    if (!ids.has(m)) ids.set(m, `tex-${ids.size}`);
    return ids.get(m)!;
  });
  // Pretty-print: one tag per line, indented by depth.
  const parts = out.replace(/>\s*</g, '>\n<').split('\n');
  let depth = 0;
  const lines: string[] = [];
  for (const part of parts) {
    const closing = part.startsWith('</');
    if (closing) depth = Math.max(0, depth - 1);
    lines.push('  '.repeat(depth) + part);
    const opens = /^<[a-zA-Z]/.test(part) && !closing && !part.endsWith('/>') && !/<\/[^>]+>$/.test(part) && !part.startsWith('<?');
    if (opens) depth++;
  }
  return lines.join('\n') + '\n';
}

function checksum(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `${text.length}:${h.toString(16)}`;
}

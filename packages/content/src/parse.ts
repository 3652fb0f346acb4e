/** The pieces of one stage file, before source keys are resolved. */
export interface ParsedStage {
  title: string;
  short: string;
  sourceKeys: string[];
  body: string;
  points: string[];
  notes: string;
}

/**
 * Parses the stage file format:
 *
 * ```
 * ---
 * title: …
 * short: …
 * sources: key, key
 * ---
 * body paragraphs
 *
 * ## Points
 * - one bullet per fact (continuation lines are indented)
 *
 * ## Notes
 * speaker notes
 * ```
 *
 * `file` only appears in error messages.
 */
export function parseStage(text: string, file: string): ParsedStage {
  const lines = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  const fail = (message: string): never => {
    throw new Error(`${file}: ${message}`);
  };

  if (lines[0]?.trim() !== '---') fail('must start with a "---" front matter line');
  const close = lines.indexOf('---', 1);
  if (close < 0) fail('front matter is not closed by a "---" line');

  const meta = new Map<string, string>();
  for (const line of lines.slice(1, close)) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) fail(`front matter line is not "key: value": ${JSON.stringify(line)}`);
    const key = line.slice(0, colon).trim();
    if (meta.has(key)) fail(`front matter key "${key}" appears twice`);
    meta.set(key, line.slice(colon + 1).trim());
  }
  const required = (key: string): string => {
    const value = meta.get(key);
    if (value === undefined || value === '') return fail(`front matter needs a non-empty "${key}"`);
    return value;
  };
  const title = required('title');
  const short = required('short');
  const sourceKeys = required('sources')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');

  const rest = lines.slice(close + 1);
  const pointsAt = rest.findIndex((line) => line.trim() === '## Points');
  const notesAt = rest.findIndex((line) => line.trim() === '## Notes');
  if (pointsAt < 0) fail('missing "## Points" section');
  if (notesAt < 0) fail('missing "## Notes" section');
  if (notesAt < pointsAt) fail('"## Points" must come before "## Notes"');

  const body = rest.slice(0, pointsAt).join('\n').trim();
  const notes = rest.slice(notesAt + 1).join('\n').trim();

  const points: string[] = [];
  for (const line of rest.slice(pointsAt + 1, notesAt)) {
    if (line.trim() === '') continue;
    const bullet = /^[-*]\s+(.*)$/.exec(line);
    if (bullet?.[1] !== undefined) points.push(bullet[1].trim());
    else if (/^\s+\S/.test(line) && points.length > 0) points[points.length - 1] += ` ${line.trim()}`;
    else fail(`line in "## Points" is not a bullet: ${JSON.stringify(line)}`);
  }

  if (body === '') fail('body is empty');
  if (notes === '') fail('"## Notes" is empty');
  return { title, short, sourceKeys, body, points, notes };
}

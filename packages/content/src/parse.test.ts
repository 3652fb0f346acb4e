import { describe, expect, it } from 'vitest';
import { parseStage } from './parse.js';

const good = [
  '---',
  'title: Token embedding',
  'short: W_E looks up one vector per id.',
  'sources: framework, glossary',
  '---',
  'First paragraph.',
  '',
  'Second paragraph.',
  '',
  '## Points',
  '- one',
  '- two that',
  '  continues here',
  '',
  '## Notes',
  'Speaker notes.',
  '',
].join('\n');

describe('parseStage', () => {
  it('splits front matter, body, points and notes', () => {
    expect(parseStage(good, 'x.md')).toEqual({
      title: 'Token embedding',
      short: 'W_E looks up one vector per id.',
      sourceKeys: ['framework', 'glossary'],
      body: 'First paragraph.\n\nSecond paragraph.',
      points: ['one', 'two that continues here'],
      notes: 'Speaker notes.',
    });
  });

  it('accepts CRLF line endings and keeps colons inside values', () => {
    const parsed = parseStage(good.replace('title: Token embedding', 'title: A: B').replace(/\n/g, '\r\n'), 'x.md');
    expect(parsed.title).toBe('A: B');
    expect(parsed.points).toHaveLength(2);
  });

  it('names the file and the problem when something is missing', () => {
    expect(() => parseStage(good.replace('## Notes', '## Other'), 'stages/x.md')).toThrow(/stages\/x\.md.*## Notes/);
    expect(() => parseStage(good.replace('short: W_E looks up one vector per id.\n', ''), 'x.md')).toThrow(/short/);
    expect(() => parseStage(good.slice(4), 'x.md')).toThrow(/front matter/);
    expect(() => parseStage(good.replace('- one', 'not a bullet'), 'x.md')).toThrow(/not a bullet/);
  });
});

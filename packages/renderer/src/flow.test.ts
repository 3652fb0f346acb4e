import { describe, expect, test } from 'vitest';
import { renderFlowDiagram } from './index.js';
import { all, parseSvg } from './test-support/xml.js';

const diagram = {
  title: 'A → B',
  nodes: [
    { id: 'a', title: '@vectorview/engine', lines: ['a long line of explanation that has to wrap inside the box because it is long'], column: 0, row: 0 },
    { id: 'b', title: 'Trace', lines: ['data'], column: 1, row: 0, kind: 'data' as const },
    { id: 'c', title: 'C & <D>', column: 1, row: 1, kind: 'app' as const },
  ],
  edges: [
    { from: 'a', to: 'b', label: 'Trace' },
    { from: 'a', to: 'c' },
    { from: 'b', to: 'c', label: 'down' },
  ],
};

describe('renderFlowDiagram', () => {
  test('draws every node and edge as well-formed, deterministic SVG', () => {
    const svg = renderFlowDiagram(diagram);
    expect(renderFlowDiagram(diagram)).toBe(svg);
    const doc = parseSvg(svg);
    expect(all(doc, (e) => e.getAttribute('class')?.startsWith('flow-node') ?? false).map((e) => e.getAttribute('id'))).toEqual(['node-a', 'node-b', 'node-c']);
    expect(all(doc, (e) => e.hasAttribute('data-from')).map((e) => `${e.getAttribute('data-from')}>${e.getAttribute('data-to')}`)).toEqual(['a>b', 'a>c', 'b>c']);
    expect(svg).toContain('C &amp; &lt;D&gt;');
    expect(svg).toContain('@font-face');
  });

  test('wraps long lines inside the box', () => {
    const doc = parseSvg(renderFlowDiagram({ ...diagram, nodeWidth: 200 }));
    const inside = (e: { parentNode: unknown; getAttribute?: (name: string) => string | null }): boolean =>
      e.getAttribute?.('id') === 'node-a' || (e.parentNode ? inside(e.parentNode as typeof e) : false);
    // The title plus at least two lines of the wrapped explanation.
    expect(all(doc, (e) => e.tagName === 'text' && inside(e)).length).toBeGreaterThanOrEqual(3);
  });

  test('rejects edges to unknown nodes', () => {
    expect(() => renderFlowDiagram({ nodes: diagram.nodes, edges: [{ from: 'a', to: 'zz' }] })).toThrow(/zz/);
  });
});

/**
 * MathJax 4 set up for Node (lite DOM adaptor, TeX in, SVG out, the New Computer Modern font).
 * Kept apart from math.ts so that no published type reaches MathJax's own declarations, which do
 * not compile under a strict consumer's settings.
 */
import { mathjax } from '@mathjax/src/js/mathjax.js';
import { TeX } from '@mathjax/src/js/input/tex.js';
import { SVG } from '@mathjax/src/js/output/svg.js';
import { liteAdaptor, type LiteAdaptor } from '@mathjax/src/js/adaptors/liteAdaptor.js';
import { RegisterHTMLHandler } from '@mathjax/src/js/handlers/html.js';
import '@mathjax/src/js/input/tex/base/BaseConfiguration.js';
import '@mathjax/src/js/input/tex/ams/AmsConfiguration.js';
import '@mathjax/src/js/input/tex/boldsymbol/BoldsymbolConfiguration.js';
import { MathJaxNewcmFont } from '@mathjax/mathjax-newcm-font/js/svg.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type MathDocument = any;

let adaptor: LiteAdaptor | undefined;
let doc: MathDocument;

function init(): LiteAdaptor {
  if (adaptor) return adaptor;
  mathjax.asyncLoad = (name: string) => import(name);
  adaptor = liteAdaptor();
  RegisterHTMLHandler(adaptor);
  const tex = new TeX({ packages: ['base', 'ams', 'boldsymbol'] });
  const svg = new SVG({ fontCache: 'none', fontData: MathJaxNewcmFont, linebreaks: { inline: false } });
  doc = mathjax.document('', { InputJax: tex, OutputJax: svg });
  return adaptor;
}

/** Inline TeX as MathJax's SVG markup, waiting for any font ranges MathJax loads on demand. */
export async function convertTex(tex: string): Promise<string> {
  const lite = init();
  return lite.outerHTML(await mathjax.handleRetriesFor(() => doc.convert(tex, { display: false })));
}

/** The same, synchronously (throws if MathJax needs to load a font range first). */
export function convertTexSync(tex: string): string {
  return init().outerHTML(doc.convert(tex, { display: false }));
}

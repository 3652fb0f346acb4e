/**
 * reveal.js's own files, read from the installed package (node_modules/reveal.js, version 6): its
 * core CSS and script, the speaker-notes plugin and the bundled themes. Nothing is fetched: themes
 * that @import web fonts have those imports removed, and the deck sets its own font (Inter, embedded).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UsageError } from '@vectorview/engine/node';

const require = createRequire(import.meta.url);

/** The folder of reveal.js's built files (`dist/`). */
export function revealDist(): string {
  // The package's exports hide package.json; its main entry is dist/reveal.js.
  return dirname(require.resolve('reveal.js'));
}

export function revealVersion(): string {
  return (JSON.parse(readFileSync(join(revealDist(), '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** Names of the themes reveal.js ships, from the files that exist (`dist/theme/NAME.css`). */
export function revealThemes(): string[] {
  return readdirSync(join(revealDist(), 'theme'))
    .filter((f) => f.endsWith('.css'))
    .map((f) => f.slice(0, -4))
    .sort();
}

export const DEFAULT_THEME = 'white';

export function checkTheme(name: string | undefined): string {
  const theme = name ?? DEFAULT_THEME;
  const themes = revealThemes();
  if (!themes.includes(theme)) throw new UsageError(`unknown theme ${JSON.stringify(theme)}: reveal.js ${revealVersion()} ships ${themes.join(', ')}`);
  return theme;
}

/** Removes `@import` of anything that is not a local file (web fonts), so the deck never asks the network. */
export function offlineCss(css: string): string {
  return css.replace(/@import\s+(?:url\()?\s*["']?(?:https?:)?\/\/[^;]*;\s*/gi, '');
}

/** A file the deck needs: where it goes in the output folder and its contents. */
export interface Asset {
  readonly path: string;
  readonly data: string;
}

/** The reveal.js files for a folder deck, paths relative to the deck's index.html. */
export function revealAssets(theme: string): { css: Asset[]; js: Asset[] } {
  const dist = revealDist();
  const read = (p: string) => readFileSync(join(dist, p), 'utf8');
  return {
    css: [
      { path: 'reveal/reset.css', data: read('reset.css') },
      { path: 'reveal/reveal.css', data: read('reveal.css') },
      { path: `reveal/theme/${theme}.css`, data: offlineCss(read(`theme/${theme}.css`)) },
    ],
    js: [
      { path: 'reveal/reveal.js', data: read('reveal.js') },
      { path: 'reveal/plugin/notes.js', data: read('plugin/notes.js') },
    ],
  };
}

/** Script text safe inside an inline <script> element. */
export function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** CSS text safe inside an inline <style> element. */
export function inlineStyle(css: string): string {
  return css.replace(/<\/(style)/gi, '<\\/$1');
}

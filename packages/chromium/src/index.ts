/**
 * The system Chromium, driven through playwright-core. Vectorview never downloads a browser: it uses
 * the one the machine has (Debian's `chromium` by default) and says how to get one if it is missing.
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';

export class ChromiumMissingError extends Error {
  override name = 'ChromiumMissingError';
}

/** Flags for a quiet headless run on a machine with no network beyond its own. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] as const;

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'];

/** VECTORVIEW_CHROMIUM if set, else the first browser found in the usual places. */
export function findChromium(): string | undefined {
  const configured = process.env['VECTORVIEW_CHROMIUM'];
  if (configured) return existsSync(configured) ? configured : undefined;
  return CANDIDATES.find((p) => existsSync(p));
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new ChromiumMissingError('no Chromium found: install one (Debian: apt-get install chromium) or set VECTORVIEW_CHROMIUM to its path');
  }
  // Loaded on first use: importing playwright-core takes ~0.7 s, which a poster without a PDF should not pay.
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
}

/** Opens a page, runs `use`, and always closes the browser. */
export async function withPage<T>(use: (page: Page) => Promise<T>): Promise<T> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    return await use(page);
  } finally {
    await browser.close();
  }
}

export interface PdfOptions {
  /** CSS lengths, e.g. '841mm'. */
  readonly width: string;
  readonly height: string;
  /** The PDF's title metadata (Chromium takes it from the page's <title>). */
  readonly title?: string;
}

const escapeText = (text: string) => text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);

/** Prints a standalone SVG to PDF at its physical size, one page, colours as drawn. */
export async function svgToPdf(svg: string, options: PdfOptions): Promise<Uint8Array> {
  return withPage(async (page) => {
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeText(options.title ?? 'Vectorview poster')}</title><style>@page{size:${options.width} ${options.height};margin:0}html,body{margin:0;padding:0}svg{display:block;width:${options.width};height:${options.height}}</style></head><body>${svg}</body></html>`;
    await page.setContent(html, { waitUntil: 'load' });
    await page.evaluate(() => document.fonts.ready);
    return page.pdf({ width: options.width, height: options.height, printBackground: true, pageRanges: '1' });
  });
}

export type { Browser, Page };

/**
 * For test suites: whether browser tests can run here. With VECTORVIEW_REQUIRE_BROWSER=1 (as CI
 * sets) a missing browser is an error rather than a reason to skip.
 */
export function browserAvailableForTests(): boolean {
  if (findChromium()) return true;
  if (process.env['VECTORVIEW_REQUIRE_BROWSER'] === '1') {
    throw new ChromiumMissingError('VECTORVIEW_REQUIRE_BROWSER=1 but no Chromium was found (apt-get install chromium, or set VECTORVIEW_CHROMIUM)');
  }
  return false;
}

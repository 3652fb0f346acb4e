import { afterEach, describe, expect, it } from 'vitest';
import { browserAvailableForTests, ChromiumMissingError, findChromium, launchChromium, svgToPdf } from './index.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('finding Chromium', () => {
  it('uses VECTORVIEW_CHROMIUM when it points at a file, and finds nothing when it does not', () => {
    process.env['VECTORVIEW_CHROMIUM'] = process.execPath;
    expect(findChromium()).toBe(process.execPath);
    process.env['VECTORVIEW_CHROMIUM'] = '/nonexistent/chromium';
    expect(findChromium()).toBeUndefined();
  });

  it('says how to install a browser when none is found, and fails tests that require one', async () => {
    process.env['VECTORVIEW_CHROMIUM'] = '/nonexistent/chromium';
    await expect(launchChromium()).rejects.toThrow(/apt-get install chromium/);
    process.env['VECTORVIEW_REQUIRE_BROWSER'] = '1';
    expect(() => browserAvailableForTests()).toThrow(ChromiumMissingError);
    delete process.env['VECTORVIEW_REQUIRE_BROWSER'];
    expect(browserAvailableForTests()).toBe(false);
  });
});

describe.skipIf(!browserAvailableForTests())('printing', () => {
  it('prints an SVG to a one-page PDF of the requested size', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="50mm" viewBox="0 0 100 50"><rect width="100" height="50" fill="#c33"/><text x="10" y="30">hi</text></svg>';
    const pdf = Buffer.from(await svgToPdf(svg, { width: '100mm', height: '50mm' })).toString('latin1');
    expect(pdf.startsWith('%PDF-')).toBe(true);
    expect(pdf.match(/\/Type\s*\/Page[^s]/g)).toHaveLength(1);
    const box = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)/.exec(pdf)!;
    expect(Number(box[1])).toBeCloseTo((100 / 25.4) * 72, 0);
    expect(Number(box[2])).toBeCloseTo((50 / 25.4) * 72, 0);
  }, 60_000);

  it('gives the PDF the title asked for, never "about:blank"', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10mm" height="10mm"></svg>';
    const pdf = Buffer.from(await svgToPdf(svg, { width: '10mm', height: '10mm', title: 'gpt2 <poster> & co' })).toString('latin1');
    // Chromium writes /Title as a literal string or as UTF-16BE hex.
    const hex = Buffer.from('\ufeffgpt2 <poster> & co', 'utf16le').swap16().toString('hex').toUpperCase();
    expect(pdf.includes('(gpt2 <poster> & co)') || pdf.toUpperCase().includes(hex)).toBe(true);
    expect(pdf).not.toContain('about:blank');
  }, 60_000);
});

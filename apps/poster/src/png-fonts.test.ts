/** The PNG falls back to the system's fonts for characters Inter lacks, as the PDF (Chromium) does. */
import { existsSync } from 'node:fs';
import type { Poster } from '@vectorview/renderer';
import { expect, test } from 'vitest';
import { posterToPng } from './poster.js';

/** Braille is in DejaVu Sans (on most Linux systems) and not in Inter. */
const DEJAVU = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

function tiny(text: string): Poster {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200px" height="60px" viewBox="0 0 200 60" font-family="Inter"><text x="10" y="40" font-size="32">${text}</text></svg>`;
  return { svg, width: 200, height: 60, physicalWidth: '200px', physicalHeight: '60px', stages: [], drawn: { layer: 0, head: 0 } };
}

test.skipIf(!existsSync(DEJAVU))('draws a character Inter lacks with a system font, not as a missing glyph', async () => {
  const braille = (await posterToPng(tiny('⠿⠿⠿⠿'), 96)).png;
  const missing = (await posterToPng(tiny('中中中中'), 96)).png; // in neither Inter nor DejaVu Sans
  expect(Buffer.from(braille).equals(Buffer.from(missing))).toBe(false);
});

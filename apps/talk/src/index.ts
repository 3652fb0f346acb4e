/** @vectorview/talk: a reveal.js talk that walks one GPT-2 forward pass, built from the poster's drawing. */
export { buildDeck, checkRequest, makeTalk, printDeck, type TalkRequest, type TalkResult } from './talk.js';
export { buildSlides, CANVAS, type Slide, type SlideStack } from './slides.js';
export { deckHtml, type DeckPage } from './deck.js';
export { checkTheme, DEFAULT_THEME, revealThemes } from './assets.js';
export { benchTalk } from './bench.js';

/** @vectorview/talk: a reveal.js talk that walks one GPT-2 forward pass, built from the poster's drawing. */
export { buildDeck, checkRequest, makeTalk, printDeck, type TalkRequest, type TalkResult } from './talk.js';
export { buildSlides, CANVAS, TALK_LENGTHS, type Slide, type SlideStack, type TalkLength } from './slides.js';
export { deckHtml, slideTimings, type DeckPage } from './deck.js';
export { checkTheme, DEFAULT_THEME, revealThemes } from './assets.js';
export { benchTalk } from './bench.js';

export { initBackend, type BackendName, type BackendOptions } from './backend.js';
export { Gpt2Model, type ForwardMode, type ForwardOptions, type ForwardResult, type Pass } from './model.js';
export { InputError, tokenize, traceForward, type TraceOptions } from './run.js';
export { END_OF_TEXT, GPT2_MERGES, gpt2Tokenizer, tokenizerForVocabulary, TokenizerError, type Tokenizer } from './tokenizer.js';
export { embeddingRows, expectedShapes, gpt2Config, randomWeights, RANDOM_MODEL_NAMES, WeightsError, weightsFromTensors, type Gpt2Weights, type LayerWeights, type RandomModelName } from './weights.js';

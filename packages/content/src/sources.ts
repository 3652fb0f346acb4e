/** A work the annotations cite. `key` is what a stage's front matter lists under `sources`. */
export interface Source {
  key: string;
  title: string;
  url: string;
  authors?: string;
  year?: number;
}

const list: readonly Source[] = [
  {
    key: 'framework',
    title: 'A Mathematical Framework for Transformer Circuits',
    url: 'https://transformer-circuits.pub/2021/framework/',
    authors: 'Nelson Elhage, Neel Nanda, Catherine Olsson, et al. (Anthropic)',
    year: 2021,
  },
  {
    key: 'glossary',
    title: 'A Comprehensive Mechanistic Interpretability Explainer & Glossary',
    url: 'https://dynalist.io/d/n2ZWtnoYHrU1s4vnFSAQ519J',
    authors: 'Neel Nanda',
    year: 2022,
  },
  {
    key: 'attention-paper',
    title: 'Attention Is All You Need',
    url: 'https://arxiv.org/abs/1706.03762',
    authors: 'Ashish Vaswani, Noam Shazeer, Niki Parmar, et al.',
    year: 2017,
  },
  {
    key: 'gpt2-paper',
    title: 'Language Models are Unsupervised Multitask Learners',
    url: 'https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf',
    authors: 'Alec Radford, Jeffrey Wu, Rewon Child, David Luan, Dario Amodei, Ilya Sutskever',
    year: 2019,
  },
  {
    key: 'superposition',
    title: 'Toy Models of Superposition',
    url: 'https://transformer-circuits.pub/2022/toy_model/',
    authors: 'Nelson Elhage, Tristan Hume, Catherine Olsson, et al. (Anthropic)',
    year: 2022,
  },
  {
    key: 'privileged-basis',
    title: 'Privileged Bases in the Transformer Residual Stream',
    url: 'https://transformer-circuits.pub/2023/privileged-basis/',
    authors: 'Nelson Elhage, Robert Lasenby, Christopher Olah (Anthropic)',
    year: 2023,
  },
  {
    key: 'layernorm',
    title: 'Layer Normalization',
    url: 'https://arxiv.org/abs/1607.06450',
    authors: 'Jimmy Lei Ba, Jamie Ryan Kiros, Geoffrey E. Hinton',
    year: 2016,
  },
  {
    key: 'rmsnorm',
    title: 'Root Mean Square Layer Normalization',
    url: 'https://arxiv.org/abs/1910.07467',
    authors: 'Biao Zhang, Rico Sennrich',
    year: 2019,
  },
  {
    key: 'gelu',
    title: 'Gaussian Error Linear Units (GELUs)',
    url: 'https://arxiv.org/abs/1606.08415',
    authors: 'Dan Hendrycks, Kevin Gimpel',
    year: 2016,
  },
  {
    key: 'zoom-in',
    title: 'Zoom In: An Introduction to Circuits',
    url: 'https://distill.pub/2020/circuits/zoom-in/',
    authors: 'Chris Olah, Nick Cammarata, Ludwig Schubert, Gabriel Goh, Michael Petrov, Shan Carter',
    year: 2020,
  },
  {
    key: 'removing-layernorm',
    title: "You can remove GPT2's LayerNorm by fine-tuning",
    url: 'https://arxiv.org/abs/2409.13710',
    authors: 'Stefan Heimersheim',
    year: 2024,
  },
  {
    key: 'fact-finding',
    title: 'Fact Finding: Attempting to Reverse-Engineer Factual Recall on the Neuron Level',
    url: 'https://www.alignmentforum.org/posts/iGuwZTHWb6DFY3sKB/fact-finding-attempting-to-reverse-engineer-factual-recall',
    authors: 'Neel Nanda, Senthooran Rajamanoharan, János Kramár, Rohin Shah',
    year: 2023,
  },
  {
    key: 'cybenko',
    title: 'Approximation by superpositions of a sigmoidal function',
    url: 'https://link.springer.com/article/10.1007/BF02551274',
    authors: 'George Cybenko',
    year: 1989,
  },
  {
    key: 'illustrated-transformer',
    title: 'The Illustrated Transformer',
    url: 'https://jalammar.github.io/illustrated-transformer/',
    authors: 'Jay Alammar',
    year: 2018,
  },
  {
    key: 'transformerlens',
    title: 'TransformerLens',
    url: 'https://github.com/TransformerLensOrg/TransformerLens',
    authors: 'Neel Nanda, Joseph Bloom, and contributors',
    year: 2022,
  },
  {
    key: 'transformerlens-docs',
    title: 'TransformerLens documentation',
    url: 'https://transformerlensorg.github.io/TransformerLens/',
    authors: 'Neel Nanda, Joseph Bloom, and contributors',
  },
  {
    key: 'logit-lens',
    title: 'interpreting GPT: the logit lens',
    url: 'https://www.lesswrong.com/posts/AcKRB8wDpdaN6v6ru/interpreting-gpt-the-logit-lens',
    authors: 'nostalgebraist',
    year: 2020,
  },
  {
    key: 'induction-heads',
    title: 'In-context Learning and Induction Heads',
    url: 'https://transformer-circuits.pub/2022/in-context-learning-and-induction-heads/',
    authors: 'Catherine Olsson, Nelson Elhage, Neel Nanda, et al. (Anthropic)',
    year: 2022,
  },
];

/** Every cited work, by key. Frozen: the objects are shared by every `StageContent`. */
export const SOURCES: Readonly<Record<string, Source>> = Object.freeze(
  Object.fromEntries(list.map((source) => [source.key, Object.freeze({ ...source })])),
);

/** Looks a key up in `SOURCES`; throws naming the key (and where it was used) if it is unknown. */
export function sourceFor(key: string, usedIn?: string): Source {
  const source = Object.hasOwn(SOURCES, key) ? SOURCES[key] : undefined;
  if (source === undefined) {
    const where = usedIn === undefined ? '' : ` (used in ${usedIn})`;
    throw new Error(`unknown source key "${key}"${where}; known keys: ${Object.keys(SOURCES).join(', ')}`);
  }
  return source;
}

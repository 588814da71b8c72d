/**
 * The models deep-reco knows how to fetch and run. Files live in `<MODELS_DIR>/<name>/` in the Hugging Face
 * layout (`tokenizer.json`, `config.json`, `onnx/*.onnx`), exactly as `npm run models:pull -- <name>` writes them.
 *
 * Checksums: a `sha256` of `null` means it was not known when the entry was written (this registry was written
 * offline). `models:pull` then verifies against the SHA-256 that the Hugging Face Hub publishes for LFS files
 * (`X-Linked-ETag`), or failing that only the size, prints the SHA-256 it computed and records it in
 * `<MODELS_DIR>/<name>/.pull-manifest.json`; paste it here to pin the file. Same for `size: null`.
 */

export type ModelKind = 'text' | 'clip';
export type ModelVariant = 'fp32' | 'quantized';

export interface ModelFile {
  /** Path inside the repository and inside `<MODELS_DIR>/<name>/`. */
  path: string;
  /** Lower-case hex SHA-256, or null when not pinned yet (see the file comment). */
  sha256: string | null;
  /** Bytes, or null when not pinned yet. */
  size: number | null;
  /** Only for ONNX weights: which variant this file is. Files without a variant are always fetched. */
  variant?: ModelVariant;
  /** For CLIP: which tower this ONNX file is. */
  tower?: 'text' | 'vision';
}

export interface TextPreprocessing {
  type: 'tokenizer';
  /** Tokenizer family (informational; the tokenizer itself comes from tokenizer.json). */
  tokenizer: 'sentencepiece-unigram' | 'wordpiece' | 'clip-bpe';
  lowercase: boolean;
}

export interface ImagePreprocessing {
  type: 'clip-image';
  /** Shortest side is resized to this (bicubic), then a centre crop of `crop`×`crop`. */
  resizeShortestEdge: number;
  crop: number;
  mean: [number, number, number];
  std: [number, number, number];
}

export interface ModelEntry {
  name: string;
  kind: ModelKind;
  description: string;
  /** Hugging Face repository the files are downloaded from (ONNX exports in the Xenova layout). */
  repo: string;
  /** Git revision (branch, tag or commit) on the Hub. */
  revision: string;
  files: ModelFile[];
  /** Output dimension: sentence embedding size, or CLIP's projection size shared by both towers. */
  dim: number;
  /** `mean`: attention-masked mean over last_hidden_state; `projection`: the model's own pooled projection (CLIP). */
  pooling: 'mean' | 'projection';
  /** Maximum tokens per text (sentence-transformers' max_seq_length, CLIP's 77); longer texts are truncated. */
  maxLength: number;
  preprocessing: { text: TextPreprocessing; image?: ImagePreprocessing };
  licence: string;
  /** The original model's page. */
  source: string;
}

const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

const unpinned = (path: string, extra: Partial<ModelFile> = {}): ModelFile => ({
  path,
  sha256: null,
  size: null,
  ...extra,
});

const textFiles = (): ModelFile[] => [
  unpinned('config.json'),
  unpinned('tokenizer.json'),
  unpinned('tokenizer_config.json'),
  unpinned('onnx/model.onnx', { variant: 'fp32' }),
  unpinned('onnx/model_quantized.onnx', { variant: 'quantized' }),
];

const clipFiles = (): ModelFile[] => [
  unpinned('config.json'),
  unpinned('tokenizer.json'),
  unpinned('tokenizer_config.json'),
  unpinned('preprocessor_config.json'),
  unpinned('onnx/vision_model.onnx', { variant: 'fp32', tower: 'vision' }),
  unpinned('onnx/text_model.onnx', { variant: 'fp32', tower: 'text' }),
  unpinned('onnx/vision_model_quantized.onnx', { variant: 'quantized', tower: 'vision' }),
  unpinned('onnx/text_model_quantized.onnx', { variant: 'quantized', tower: 'text' }),
];

export const MODEL_REGISTRY: readonly ModelEntry[] = [
  {
    name: 'paraphrase-multilingual-MiniLM-L12-v2',
    kind: 'text',
    description:
      'Multilingual (50+ languages incl. Korean) sentence embeddings, 12-layer MiniLM distilled from paraphrase-mpnet. Default text encoder.',
    repo: 'Xenova/paraphrase-multilingual-MiniLM-L12-v2',
    revision: 'main',
    files: textFiles(),
    dim: 384,
    pooling: 'mean',
    maxLength: 128,
    preprocessing: { text: { type: 'tokenizer', tokenizer: 'sentencepiece-unigram', lowercase: false } },
    licence: 'Apache-2.0',
    source: 'https://huggingface.co/sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2',
  },
  {
    name: 'xlm-r-100langs-bert-base-nli-stsb-mean-tokens',
    kind: 'text',
    description:
      "XLM-R base distilled from bert-base-nli-stsb-mean-tokens for 100 languages (the seed system's text encoder).",
    repo: 'Xenova/xlm-r-100langs-bert-base-nli-stsb-mean-tokens',
    revision: 'main',
    files: textFiles(),
    dim: 768,
    pooling: 'mean',
    maxLength: 128,
    preprocessing: { text: { type: 'tokenizer', tokenizer: 'sentencepiece-unigram', lowercase: false } },
    licence: 'Apache-2.0',
    source: 'https://huggingface.co/sentence-transformers/xlm-r-100langs-bert-base-nli-stsb-mean-tokens',
  },
  {
    name: 'clip-vit-b32',
    kind: 'clip',
    description:
      'OpenAI CLIP ViT-B/32: image and (English) text towers projected into one 512-d space. Default image encoder.',
    repo: 'Xenova/clip-vit-base-patch32',
    revision: 'main',
    files: clipFiles(),
    dim: 512,
    pooling: 'projection',
    maxLength: 77,
    preprocessing: {
      text: { type: 'tokenizer', tokenizer: 'clip-bpe', lowercase: true },
      image: { type: 'clip-image', resizeShortestEdge: 224, crop: 224, mean: CLIP_MEAN, std: CLIP_STD },
    },
    licence: 'MIT',
    source: 'https://huggingface.co/openai/clip-vit-base-patch32',
  },
  {
    name: 'clip-vit-l14',
    kind: 'clip',
    description: 'OpenAI CLIP ViT-L/14: larger and slower, better image understanding (768-d).',
    repo: 'Xenova/clip-vit-large-patch14',
    revision: 'main',
    files: clipFiles(),
    dim: 768,
    pooling: 'projection',
    maxLength: 77,
    preprocessing: {
      text: { type: 'tokenizer', tokenizer: 'clip-bpe', lowercase: true },
      image: { type: 'clip-image', resizeShortestEdge: 224, crop: 224, mean: CLIP_MEAN, std: CLIP_STD },
    },
    licence: 'MIT',
    source: 'https://huggingface.co/openai/clip-vit-large-patch14',
  },
];

export function findModel(name: string): ModelEntry | undefined {
  return MODEL_REGISTRY.find((m) => m.name === name);
}

/** The exact command that fetches a model's files (used in logs, `/status` notes and errors). */
export function pullCommand(name: string): string {
  return `npm run models:pull -- ${name}`;
}

/** The files `models:pull` fetches for a variant: every non-ONNX file plus the ONNX files of that variant. */
export function filesForVariant(entry: ModelEntry, variant: ModelVariant): ModelFile[] {
  return entry.files.filter((f) => f.variant === undefined || f.variant === variant);
}

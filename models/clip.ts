/**
 * CLIP image and text towers on onnxruntime-node (`ImageEncoder` port, with `encodeText`).
 *
 * Image preprocessing (as CLIPImageProcessor): decode with sharp, convert to sRGB and drop alpha, resize the shortest
 * side to 224 with bicubic (Catmull-Rom) resampling (long side = floor(224·long/short)), centre crop 224×224
 * (offsets floor((size−224)/2)), scale to [0,1], normalise with CLIP's mean/std, NCHW float32.
 * Text: tokenizer.json (CLIP BPE) with `<|startoftext|> … <|endoftext|>`, truncation at 77, padding with the pad
 * token (CLIP pads with `<|endoftext|>`; the model pools at the first end-of-text token).
 * Both towers' projected outputs (`image_embeds`, `text_embeds`) are L2-normalised, so image·text is a cosine.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { RecoError } from '../core/errors.js';
import type { ImageEncoder } from '../core/ports.js';
import { HfTokenizer, firstExisting, l2NormalizeRows, lengthOrder, padBatch, readModelJson } from './hf-files.js';
import { findModel, type ImagePreprocessing } from './registry.js';
import type { OrtRuntime } from './runtime.js';
import { errorMessage } from './runtime.js';

export const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
export const CLIP_VISION_FILES = ['onnx/vision_model.onnx', 'onnx/vision_model_quantized.onnx'] as const;
export const CLIP_TEXT_FILES = ['onnx/text_model.onnx', 'onnx/text_model_quantized.onnx'] as const;

export type ClipPreprocessing = Pick<ImagePreprocessing, 'resizeShortestEdge' | 'crop' | 'mean' | 'std'>;
export const DEFAULT_CLIP_PREPROCESSING: ClipPreprocessing = {
  resizeShortestEdge: 224,
  crop: 224,
  mean: CLIP_MEAN,
  std: CLIP_STD,
};

/** Resize target for "shortest side → size" (HF: the long side is int(size · long / short)). */
export function clipResizeDims(width: number, height: number, size: number): { width: number; height: number } {
  if (width <= height) return { width: size, height: Math.max(size, Math.floor((size * height) / width)) };
  return { width: Math.max(size, Math.floor((size * width) / height)), height: size };
}

/**
 * One image → 3·crop·crop floats, NCHW (channel planes R, G, B).
 * @throws RecoError INPUT_INVALID when the bytes are not a decodable image.
 */
export async function preprocessClipImage(
  bytes: Uint8Array,
  p: ClipPreprocessing = DEFAULT_CLIP_PREPROCESSING,
  out?: Float32Array,
): Promise<Float32Array> {
  const size = p.resizeShortestEdge;
  const crop = p.crop;
  let pixels: Buffer;
  let channels: number;
  try {
    // 1) decode to sRGB and drop alpha (as PIL's convert('RGB')) — before resizing, so alpha is not premultiplied in
    const decoded = await sharp(bytes).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const { width, height, channels: decodedChannels } = decoded.info;
    if (!width || !height) throw new Error('image without dimensions');
    const target = clipResizeDims(width, height, size);
    // 2) bicubic resize of the shortest side, centre crop
    const { data, info } = await sharp(decoded.data, { raw: { width, height, channels: decodedChannels } })
      .resize(target.width, target.height, { kernel: 'cubic', fit: 'fill' })
      .extract({
        left: Math.floor((target.width - crop) / 2),
        top: Math.floor((target.height - crop) / 2),
        width: crop,
        height: crop,
      })
      .raw()
      .toBuffer({ resolveWithObject: true });
    pixels = data;
    channels = info.channels;
  } catch (e) {
    throw new RecoError('INPUT_INVALID', `not a decodable image: ${errorMessage(e)}`, { cause: e });
  }
  const plane = crop * crop;
  const result = out ?? new Float32Array(3 * plane);
  const scale = new Float32Array(3);
  const shift = new Float32Array(3);
  for (let c = 0; c < 3; c++) {
    scale[c] = 1 / (255 * p.std[c]!);
    shift[c] = p.mean[c]! / p.std[c]!;
  }
  for (let i = 0; i < plane; i++) {
    const px = i * channels;
    for (let c = 0; c < 3; c++) {
      // greyscale decoders may still yield one channel; repeat it
      const v = pixels[px + (channels >= 3 ? c : 0)]!;
      result[c * plane + i] = v * scale[c]! - shift[c]!;
    }
  }
  return result;
}

export interface ClipEncoderOptions {
  modelDir: string;
  name: string;
  runtime: OrtRuntime;
  batchSize?: number;
  /** Load the text tower too (for `encodeText`). Default true when the file exists. */
  withText?: boolean;
}

export class ClipImageEncoder implements ImageEncoder {
  readonly id: string;
  readonly dim: number;
  readonly label: string;
  readonly batchSize: number;
  readonly maxLength: number;
  readonly encodeText?: (texts: readonly string[]) => Promise<Float32Array>;
  private readonly vision: ort.InferenceSession;
  private readonly visionPath: string;
  private readonly text: ort.InferenceSession | undefined;
  private readonly tokenizer: HfTokenizer | undefined;
  private readonly pre: ClipPreprocessing;

  private constructor(o: {
    id: string;
    dim: number;
    label: string;
    batchSize: number;
    maxLength: number;
    vision: ort.InferenceSession;
    visionPath: string;
    text: ort.InferenceSession | undefined;
    tokenizer: HfTokenizer | undefined;
    pre: ClipPreprocessing;
  }) {
    this.id = o.id;
    this.dim = o.dim;
    this.label = o.label;
    this.batchSize = o.batchSize;
    this.maxLength = o.maxLength;
    this.vision = o.vision;
    this.visionPath = o.visionPath;
    this.text = o.text;
    this.tokenizer = o.tokenizer;
    this.pre = o.pre;
    if (this.text && this.tokenizer) this.encodeText = (texts) => this.runText(texts);
  }

  static async load(options: ClipEncoderOptions): Promise<ClipImageEncoder> {
    const { modelDir, name, runtime } = options;
    const visionFile = firstExisting(modelDir, CLIP_VISION_FILES);
    if (visionFile === undefined) {
      throw new RecoError(
        'MODEL_FILE_INVALID',
        `no CLIP vision model in ${modelDir} (looked for ${CLIP_VISION_FILES.join(', ')})`,
        { details: { file: join(modelDir, CLIP_VISION_FILES[0]) } },
      );
    }
    const visionPath = join(modelDir, visionFile);
    const vision = await runtime.session(visionPath);
    if (!vision.inputNames.includes('pixel_values') || !vision.outputNames.includes('image_embeds')) {
      throw new RecoError(
        'ENCODER_FAILED',
        `${visionPath} is not a CLIP vision model with projection (inputs ${vision.inputNames.join(', ')}; outputs ${vision.outputNames.join(', ')})`,
        { details: { file: visionPath } },
      );
    }
    const meta = vision.outputMetadata.find((m) => m.name === 'image_embeds');
    const shape = meta && meta.isTensor ? meta.shape : [];
    const config = readModelJson<Record<string, unknown>>(join(modelDir, 'config.json')) ?? {};
    const dimMeta = shape[shape.length - 1];
    const dim =
      typeof dimMeta === 'number'
        ? dimMeta
        : typeof config.projection_dim === 'number'
          ? config.projection_dim
          : undefined;
    if (dim === undefined)
      throw new RecoError('ENCODER_FAILED', `cannot tell the output size of ${visionPath}`, {
        details: { file: visionPath },
      });

    const entry = findModel(name);
    const pc = readModelJson<{
      image_mean?: number[];
      image_std?: number[];
      size?: number | { shortest_edge?: number };
      crop_size?: number | { height?: number };
    }>(join(modelDir, 'preprocessor_config.json'));
    const reg = entry?.preprocessing.image;
    const sizeFromFile = typeof pc?.size === 'number' ? pc.size : pc?.size?.shortest_edge;
    const cropFromFile = typeof pc?.crop_size === 'number' ? pc.crop_size : pc?.crop_size?.height;
    const pre: ClipPreprocessing = {
      resizeShortestEdge: sizeFromFile ?? reg?.resizeShortestEdge ?? 224,
      crop: cropFromFile ?? reg?.crop ?? 224,
      mean: (pc?.image_mean as [number, number, number] | undefined) ?? reg?.mean ?? CLIP_MEAN,
      std: (pc?.image_std as [number, number, number] | undefined) ?? reg?.std ?? CLIP_STD,
    };

    let text: ort.InferenceSession | undefined;
    let tokenizer: HfTokenizer | undefined;
    const textFile = firstExisting(modelDir, CLIP_TEXT_FILES);
    if (options.withText !== false && textFile !== undefined) {
      text = await runtime.session(join(modelDir, textFile));
      tokenizer = HfTokenizer.load(modelDir);
    }
    const textConfig = (config.text_config ?? {}) as { max_position_embeddings?: number };
    const maxLength = textConfig.max_position_embeddings ?? entry?.maxLength ?? 77;
    const quantized = visionFile.includes('quantized');
    return new ClipImageEncoder({
      id: `clip:${name}${quantized ? '-quantized' : ''}:${dim}`,
      dim,
      label: `CLIP ${name}${quantized ? ' (quantized)' : ''} — ONNX on ${runtime.device}, ${dim}-d${text ? ', text tower' : ''}`,
      batchSize: options.batchSize ?? 32,
      maxLength,
      vision,
      visionPath,
      text,
      tokenizer,
      pre,
    });
  }

  async encode(images: readonly Uint8Array[]): Promise<Float32Array> {
    const n = images.length;
    const out = new Float32Array(n * this.dim);
    const plane = 3 * this.pre.crop * this.pre.crop;
    for (let start = 0; start < n; start += this.batchSize) {
      const batch = images.slice(start, start + this.batchSize);
      const pixels = new Float32Array(batch.length * plane);
      await Promise.all(
        batch.map(async (img, i) => {
          try {
            await preprocessClipImage(img, this.pre, pixels.subarray(i * plane, (i + 1) * plane));
          } catch (e) {
            if (e instanceof RecoError) e.details.index = start + i;
            throw e;
          }
        }),
      );
      const feeds = {
        pixel_values: new ort.Tensor('float32', pixels, [batch.length, 3, this.pre.crop, this.pre.crop]),
      };
      let result: ort.InferenceSession.ReturnType;
      try {
        result = await this.vision.run(feeds, ['image_embeds']);
      } catch (e) {
        throw new RecoError('ENCODER_FAILED', `image encoder ${this.id} failed: ${errorMessage(e)}`, {
          cause: e,
          details: { file: this.visionPath },
        });
      }
      const t = result.image_embeds!;
      out.set(t.data as Float32Array, start * this.dim);
      t.dispose();
    }
    return l2NormalizeRows(out, n, this.dim);
  }

  private async runText(texts: readonly string[]): Promise<Float32Array> {
    const session = this.text!;
    const tokenizer = this.tokenizer!;
    const n = texts.length;
    const out = new Float32Array(n * this.dim);
    const idLists = texts.map((t) => tokenizer.encode(t, this.maxLength));
    const order = lengthOrder(idLists.map((l) => l.length));
    for (let start = 0; start < n; start += this.batchSize) {
      const rows = order.slice(start, start + this.batchSize);
      const { ids, mask, seqLen } = padBatch(
        rows.map((r) => idLists[r]!),
        tokenizer.padId,
      );
      const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [rows.length, seqLen]) };
      if (session.inputNames.includes('attention_mask'))
        feeds.attention_mask = new ort.Tensor('int64', mask, [rows.length, seqLen]);
      let result: ort.InferenceSession.ReturnType;
      try {
        result = await session.run(feeds, ['text_embeds']);
      } catch (e) {
        throw new RecoError('ENCODER_FAILED', `CLIP text tower ${this.id} failed: ${errorMessage(e)}`, { cause: e });
      }
      const data = result.text_embeds!.data as Float32Array;
      rows.forEach((r, i) => out.set(data.subarray(i * this.dim, (i + 1) * this.dim), r * this.dim));
      result.text_embeds!.dispose();
    }
    return l2NormalizeRows(out, n, this.dim);
  }
}

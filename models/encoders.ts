/**
 * Chooses the active encoders at start-up — never silently: every decision is a log line and a note for `/status`.
 *
 * ENCODER=auto    ONNX when the model files are in MODELS_DIR, otherwise the lexical fallback plus a note naming the
 *                 exact command that fetches them. A present but broken model also falls back (logged as an error).
 * ENCODER=onnx    ONNX or fail at start (RecoError MODEL_FILE_INVALID naming the missing file and the command).
 * ENCODER=lexical the fallback text encoder, no image encoder.
 * IMAGE_MODEL=''  no image encoder.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../core/config.js';
import { RecoError, toRecoError } from '../core/errors.js';
import type { ImageEncoder, Logger, TextEncoder } from '../core/ports.js';
import { ClipImageEncoder, CLIP_VISION_FILES } from './clip.js';
import { MODEL_REGISTRY, findModel, pullCommand } from './registry.js';
import { OrtRuntime, type DeviceProbe } from './runtime.js';
import { OnnxTextEncoder, TEXT_MODEL_FILES } from './text-encoder.js';

export type EncoderConfig = Pick<
  Config,
  | 'ENCODER'
  | 'MODELS_DIR'
  | 'TEXT_MODEL'
  | 'IMAGE_MODEL'
  | 'ORT_DEVICE'
  | 'ORT_INTRA_OP_THREADS'
  | 'ORT_GRAPH_OPTIMIZATION'
  | 'EMBED_BATCH_SIZE'
>;

export interface CreateEncodersOptions {
  config: EncoderConfig;
  logger: Logger;
  /** The lexical encoder (core/lexical.ts), used when ONNX files are missing or ENCODER=lexical. */
  fallbackText: TextEncoder;
  /** For tests: pretend about CUDA. */
  probe?: DeviceProbe;
}

export interface Encoders {
  text: TextEncoder;
  image?: ImageEncoder;
  /** Human-readable lines for `/status` and the start-up log (which encoders are active, and why). */
  notes: string[];
  /** The onnxruntime sessions owner when ONNX is in use (release() on shutdown). */
  runtime?: OrtRuntime;
}

/** Missing files of a model folder, relative to it (the first ONNX candidate names the whole group). */
function missingFiles(dir: string, required: readonly string[], onnxCandidates: readonly string[]): string[] {
  const missing = required.filter((f) => !existsSync(join(dir, f)));
  if (!onnxCandidates.some((f) => existsSync(join(dir, f)))) missing.push(onnxCandidates[0]!);
  return missing;
}

function missingMessage(kind: 'text' | 'image', name: string, dir: string, missing: string[]): string {
  const known = findModel(name);
  const how = known
    ? `fetch them with: ${pullCommand(name)}`
    : `"${name}" is not in the registry (known: ${MODEL_REGISTRY.filter((m) =>
        kind === 'text' ? m.kind === 'text' : m.kind === 'clip',
      )
        .map((m) => m.name)
        .join(', ')}); put an ONNX export in ${dir} or pick a known model`;
  return `${kind} model ${name}: files missing in ${dir} (${missing.join(', ')}); ${how}`;
}

export async function createEncoders(options: CreateEncodersOptions): Promise<Encoders> {
  const { config, logger, fallbackText } = options;
  const notes: string[] = [];
  const log = logger.child({ component: 'encoders' });

  if (config.ENCODER === 'lexical') {
    const note = `text encoder: ${fallbackText.label} (ENCODER=lexical); image encoder: off (ENCODER=lexical)`;
    notes.push(note);
    log.info({ text: fallbackText.id }, note);
    return { text: fallbackText, notes };
  }

  const strict = config.ENCODER === 'onnx';
  const modelsDir = resolve(config.MODELS_DIR);
  const textDir = join(modelsDir, config.TEXT_MODEL);
  const textMissing = missingFiles(textDir, ['tokenizer.json'], TEXT_MODEL_FILES);
  const imageName = config.IMAGE_MODEL.trim();
  const imageDir = imageName ? join(modelsDir, imageName) : '';
  const imageMissing = imageName ? missingFiles(imageDir, ['tokenizer.json'], CLIP_VISION_FILES) : [];

  if (strict) {
    const problems: string[] = [];
    if (textMissing.length > 0) problems.push(missingMessage('text', config.TEXT_MODEL, textDir, textMissing));
    if (imageName && imageMissing.length > 0) problems.push(missingMessage('image', imageName, imageDir, imageMissing));
    if (problems.length > 0) {
      throw new RecoError(
        'MODEL_FILE_INVALID',
        `ENCODER=onnx but ${problems.join('; ')} (or set ENCODER=auto to run on the lexical encoder meanwhile)`,
        {
          details: {
            file: textMissing.length > 0 ? join(textDir, textMissing[0]!) : join(imageDir, imageMissing[0] ?? ''),
          },
        },
      );
    }
  }

  // The device is decided before any model loads: ORT_DEVICE=cuda without CUDA is a start-up error even with
  // ENCODER=auto (an explicit device request is never quietly replaced).
  let runtime: OrtRuntime | undefined;
  if (textMissing.length === 0 || (imageName && imageMissing.length === 0))
    runtime = OrtRuntime.fromConfig(config, log, options.probe);
  const getRuntime = () => (runtime ??= OrtRuntime.fromConfig(config, log, options.probe));

  // ---- text
  let text: TextEncoder = fallbackText;
  if (textMissing.length > 0) {
    const note = `text encoder: ${fallbackText.label} (fallback) — ${missingMessage('text', config.TEXT_MODEL, textDir, textMissing)}`;
    notes.push(note);
    log.warn({ text: fallbackText.id, command: pullCommand(config.TEXT_MODEL) }, note);
  } else {
    try {
      text = await OnnxTextEncoder.load({
        modelDir: textDir,
        name: config.TEXT_MODEL,
        runtime: getRuntime(),
        batchSize: config.EMBED_BATCH_SIZE,
      });
      const note = `text encoder: ${text.label}`;
      notes.push(note);
      log.info({ text: text.id }, note);
    } catch (e) {
      const err = toRecoError(e, 'ENCODER_FAILED');
      if (strict) throw err;
      const note = `text encoder: ${fallbackText.label} (fallback) — ${config.TEXT_MODEL} could not be loaded: ${err.message}; re-fetch with: ${pullCommand(config.TEXT_MODEL)}`;
      notes.push(note);
      log.error({ err: err.message, code: err.code, file: err.details.file }, note);
    }
  }

  // ---- image
  let image: ImageEncoder | undefined;
  if (!imageName) {
    notes.push('image encoder: off (IMAGE_MODEL is empty)');
    log.info({}, 'image encoder: off (IMAGE_MODEL is empty)');
  } else if (imageMissing.length > 0) {
    const note = `image encoder: off — ${missingMessage('image', imageName, imageDir, imageMissing)}`;
    notes.push(note);
    log.warn({ command: pullCommand(imageName) }, note);
  } else {
    try {
      image = await ClipImageEncoder.load({
        modelDir: imageDir,
        name: imageName,
        runtime: getRuntime(),
        batchSize: config.EMBED_BATCH_SIZE,
      });
      const note = `image encoder: ${image.label}`;
      notes.push(note);
      log.info({ image: image.id }, note);
    } catch (e) {
      const err = toRecoError(e, 'ENCODER_FAILED');
      if (strict) throw err;
      const note = `image encoder: off — ${imageName} could not be loaded: ${err.message}; re-fetch with: ${pullCommand(imageName)}`;
      notes.push(note);
      log.error({ err: err.message, code: err.code, file: err.details.file }, note);
    }
  }

  if (runtime) notes.push(`onnxruntime device: ${runtime.device} (${runtime.deviceReason})`);
  const result: Encoders = { text, notes };
  if (image) result.image = image;
  if (runtime) result.runtime = runtime;
  return result;
}

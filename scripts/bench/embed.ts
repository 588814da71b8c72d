/**
 * Embedding benchmark (a script, not a timed test).
 *
 *   npm run bench:embed                              # tiny generated models, CPU
 *   npm run bench:embed -- --models-dir ./models/weights --device cuda --texts 2048 --images 256
 *   npm run bench:embed -- --json bench.json         # also write the raw numbers
 *
 * Measures texts/s (OnnxTextEncoder) and images/s (ClipImageEncoder) against batch size, peak RSS
 * (process.resourceUsage().maxRSS) and, on the same ONNX file and inputs, @huggingface/transformers'
 * feature-extraction pipeline (mean pooling + normalize, local files only — nothing is downloaded):
 * throughput ratio and the largest |Δ| between the two vectors.
 *
 * Without --models-dir it uses MODELS_DIR when the text model is there, else generates the tiny test models
 * (then the numbers measure the pipeline's overhead — tokenising, padding, pooling, preprocessing — not a real model).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { loadConfig } from '../../infra/config.js';
import { ClipImageEncoder } from '../../models/clip.js';
import { makeTinyModels } from '../../models/fixtures/make-tiny-models.js';
import { OrtRuntime, type OrtDeviceSetting } from '../../models/runtime.js';
import { OnnxTextEncoder } from '../../models/text-encoder.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const config = loadConfig();
const textModel = arg('text-model') ?? config.TEXT_MODEL;
const imageModel = arg('image-model') ?? (config.IMAGE_MODEL || 'clip-vit-b32');
let modelsDir = arg('models-dir');
let tiny = false;
if (modelsDir === undefined) {
  if (existsSync(join(config.MODELS_DIR, textModel, 'tokenizer.json'))) modelsDir = config.MODELS_DIR;
  else {
    modelsDir = 'tests/.tmp/bench-tiny-models';
    makeTinyModels(modelsDir);
    tiny = true;
  }
}
const device = (arg('device') ?? config.ORT_DEVICE) as OrtDeviceSetting;
const batchSizes = (arg('batch-sizes') ?? '1,8,32,64').split(',').map(Number);
const nTexts = Number(arg('texts') ?? 512);
const nImages = Number(arg('images') ?? 64);
const jsonOut = arg('json');
const skipTransformers = process.argv.includes('--no-transformers');

// ---------------------------------------------------------------- inputs (deterministic)

const KO = ['빨간 운동화 추천해줘', '오늘 날씨 좋아요', '고양이 사진', '여행 영화 음악 뉴스', '요리 게임 강아지'];
const EN = [
  'recommend me some red sneakers',
  'the weather today is good',
  'a photo of a cat',
  'travel movie music news',
  'recipe game and dog',
];
const texts = Array.from({ length: nTexts }, (_, i) => {
  const words = 1 + ((i * 7) % 12);
  return Array.from({ length: words }, (_, j) => ((i + j) % 2 ? KO : EN)[(i * 3 + j) % 5]!).join(' ');
});

async function makeImages(n: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const w = 320 + ((i * 37) % 400);
    const h = 240 + ((i * 53) % 300);
    const raw = Buffer.alloc(w * h * 3);
    for (let p = 0; p < w * h; p++) {
      raw[p * 3] = (p * (i + 3)) & 255;
      raw[p * 3 + 1] = ((p >> 5) * (i + 1)) & 255;
      raw[p * 3 + 2] = (i * 40) & 255;
    }
    out.push(
      await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
        .jpeg({ quality: 85 })
        .toBuffer(),
    );
  }
  return out;
}

const maxRssMiB = () => process.resourceUsage().maxRSS / 1024;
const now = () => performance.now();

interface Row {
  batch: number;
  textsPerSec?: number;
  imagesPerSec?: number;
  peakRssMiB: number;
}

async function main(): Promise<void> {
  const runtime = new OrtRuntime({
    device,
    intraOpThreads: config.ORT_INTRA_OP_THREADS,
    graphOptimization: config.ORT_GRAPH_OPTIMIZATION,
  });
  const textDir = resolve(modelsDir!, textModel);
  const imageDir = resolve(modelsDir!, imageModel);
  const images = existsSync(imageDir) ? await makeImages(nImages) : [];
  const rows: Row[] = [];
  let textId = '';
  let imageId = '';

  for (const batch of batchSizes) {
    const row: Row = { batch, peakRssMiB: 0 };
    const enc = await OnnxTextEncoder.load({ modelDir: textDir, name: textModel, runtime, batchSize: batch });
    textId = enc.id;
    await enc.encode(texts.slice(0, Math.min(batch, texts.length))); // warm-up
    let t0 = now();
    await enc.encode(texts);
    row.textsPerSec = nTexts / ((now() - t0) / 1000);
    if (images.length > 0) {
      const clip = await ClipImageEncoder.load({
        modelDir: imageDir,
        name: imageModel,
        runtime,
        batchSize: batch,
        withText: false,
      });
      imageId = clip.id;
      await clip.encode(images.slice(0, Math.min(batch, images.length)));
      t0 = now();
      await clip.encode(images);
      row.imagesPerSec = images.length / ((now() - t0) / 1000);
    }
    row.peakRssMiB = maxRssMiB();
    rows.push(row);
    console.error(
      `batch ${batch}: ${row.textsPerSec.toFixed(0)} texts/s, ${row.imagesPerSec?.toFixed(1) ?? '-'} images/s, peak RSS ${row.peakRssMiB.toFixed(0)} MiB`,
    );
  }

  // ---- side by side with @huggingface/transformers on the same file and inputs
  let comparison: Record<string, number | string> | undefined;
  if (!skipTransformers) {
    const { env, pipeline } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = `${resolve(modelsDir!)}/`;
    const quantized = textId.includes('-quantized');
    const extractor = await pipeline('feature-extraction', textModel, {
      dtype: quantized ? 'q8' : 'fp32',
      local_files_only: true,
      device: runtime.device === 'cuda' ? 'cuda' : 'cpu',
    });
    const batch = batchSizes.includes(32) ? 32 : batchSizes[batchSizes.length - 1]!;
    const ours = await OnnxTextEncoder.load({ modelDir: textDir, name: textModel, runtime, batchSize: batch });
    const theirsRun = async (): Promise<Float32Array> => {
      const out = new Float32Array(nTexts * ours.dim);
      for (let s = 0; s < nTexts; s += batch) {
        const t = await extractor(texts.slice(s, s + batch), { pooling: 'mean', normalize: true });
        out.set(t.data as Float32Array, s * ours.dim);
      }
      return out;
    };
    await theirsRun(); // warm-up
    let t0 = now();
    const theirs = await theirsRun();
    const theirsSec = (now() - t0) / 1000;
    await ours.encode(texts.slice(0, batch));
    t0 = now();
    const mine = await ours.encode(texts);
    const oursSec = (now() - t0) / 1000;
    let maxDelta = 0;
    for (let i = 0; i < mine.length; i++) maxDelta = Math.max(maxDelta, Math.abs(mine[i]! - theirs[i]!));
    comparison = {
      batch,
      oursTextsPerSec: nTexts / oursSec,
      transformersTextsPerSec: nTexts / theirsSec,
      ratio: theirsSec / oursSec,
      maxAbsDelta: maxDelta,
    };
    console.error(
      `vs @huggingface/transformers (batch ${batch}): ratio ${(theirsSec / oursSec).toFixed(2)}×, max |Δ| ${maxDelta.toExponential(2)}`,
    );
  }

  const machine = `${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}`;
  const header = `Embedding benchmark — ${tiny ? 'TINY generated models (pipeline overhead only)' : 'real models'}; device ${runtime.device} (${runtime.deviceReason}); ${machine}; ${nTexts} texts, ${images.length} images\ntext ${textId}${imageId ? `, image ${imageId}` : ''}`;
  console.log(header);
  console.log('\n| batch | texts/s | images/s | peak RSS (MiB) |\n|---:|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.batch} | ${r.textsPerSec?.toFixed(0)} | ${r.imagesPerSec?.toFixed(1) ?? '—'} | ${r.peakRssMiB.toFixed(0)} |`,
    );
  if (comparison) {
    console.log(
      `\nvs @huggingface/transformers feature-extraction (batch ${comparison.batch}, same ONNX file and inputs): ours ${Number(comparison.oursTextsPerSec).toFixed(0)} texts/s, transformers.js ${Number(comparison.transformersTextsPerSec).toFixed(0)} texts/s, ratio ${Number(comparison.ratio).toFixed(2)}×, max |Δ| ${Number(comparison.maxAbsDelta).toExponential(2)}`,
    );
  }
  if (jsonOut)
    writeFileSync(
      jsonOut,
      JSON.stringify(
        { machine, device: runtime.device, tiny, textId, imageId, nTexts, nImages: images.length, rows, comparison },
        null,
        2,
      ),
    );
  await runtime.release();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRecoError } from '../../core/errors.js';
import { CLIP_MEAN, CLIP_STD, ClipImageEncoder, clipResizeDims, preprocessClipImage } from '../../models/clip.js';
import { OrtRuntime } from '../../models/runtime.js';
import { maxAbsDiff, rowNorm, tinyModels } from './helpers.js';

const tiny = tinyModels('clip');
const runtime = new OrtRuntime({
  device: 'cpu',
  probe: { cudaProviderLibrary: () => undefined, gpuVisible: () => false },
});
let clip: ClipImageEncoder;

/** A PNG whose left half (x < width/2) is `left` and right half is `right`. */
async function twoColourPng(
  width: number,
  height: number,
  left: [number, number, number],
  right: [number, number, number],
  channels: 3 | 4 = 3,
): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = x < width / 2 ? left : right;
      const o = (y * width + x) * channels;
      raw[o] = c[0];
      raw[o + 1] = c[1];
      raw[o + 2] = c[2];
      if (channels === 4) raw[o + 3] = 128;
    }
  }
  return sharp(raw, { raw: { width, height, channels } }).png().toBuffer();
}

/** Independent expectation: CLIP normalisation of one 8-bit RGB colour. */
const norm = (rgb: [number, number, number]) => rgb.map((v, c) => (v / 255 - CLIP_MEAN[c]!) / CLIP_STD[c]!);

beforeAll(async () => {
  clip = await ClipImageEncoder.load({ modelDir: tiny.clip.dir, name: tiny.clip.name, runtime, batchSize: 2 });
});
afterAll(async () => {
  await runtime.release();
  tiny.cleanup();
});

describe('CLIP preprocessing', () => {
  it('resize target: shortest side → 224, long side floor(224·long/short)', () => {
    expect(clipResizeDims(896, 448, 224)).toEqual({ width: 448, height: 224 });
    expect(clipResizeDims(112, 448, 224)).toEqual({ width: 224, height: 896 });
    expect(clipResizeDims(333, 500, 224)).toEqual({ width: 224, height: 336 });
    expect(clipResizeDims(300, 200, 224)).toEqual({ width: 336, height: 224 });
  });

  it('matches independently computed values for a two-colour image (resize, centre crop, mean/std, NCHW)', async () => {
    const red: [number, number, number] = [255, 0, 0];
    const blue: [number, number, number] = [0, 0, 255];
    // 896×448 → 448×224, centre crop x ∈ [112, 336) of the resized image: the colour edge (x=224) lands at crop x=112.
    const px = await preprocessClipImage(await twoColourPng(896, 448, red, blue));
    expect(px).toHaveLength(3 * 224 * 224);
    const at = (c: number, y: number, x: number) => px[c * 224 * 224 + y * 224 + x]!;
    const r = norm(red);
    const b = norm(blue);
    for (const y of [0, 100, 223]) {
      for (const x of [0, 50, 105]) for (let c = 0; c < 3; c++) expect(at(c, y, x)).toBeCloseTo(r[c]!, 5);
      for (const x of [119, 180, 223]) for (let c = 0; c < 3; c++) expect(at(c, y, x)).toBeCloseTo(b[c]!, 5);
    }
    // the edge sits between x=108 and x=116 (bicubic blends only around it)
    expect(at(0, 10, 108)).toBeGreaterThan((r[0]! + b[0]!) / 2);
    expect(at(0, 10, 116)).toBeLessThan((r[0]! + b[0]!) / 2);
  });

  it('crops the vertical centre of portrait images', async () => {
    // 112×448 rotated: build top/bottom halves by rotating a two-colour landscape image
    const landscape = await twoColourPng(448, 112, [0, 255, 0], [255, 255, 255]);
    const portrait = await sharp(landscape).rotate(90).png().toBuffer(); // 112 wide, 448 tall; top = green
    const px = await preprocessClipImage(portrait);
    const at = (c: number, y: number, x: number) => px[c * 224 * 224 + y * 224 + x]!;
    const g = norm([0, 255, 0]);
    const w = norm([255, 255, 255]);
    // resized 224×896, crop rows [336, 560): edge at resized y=448 → crop y=112
    expect(at(0, 50, 100)).toBeCloseTo(g[0]!, 5);
    expect(at(0, 200, 100)).toBeCloseTo(w[0]!, 5);
  });

  it('drops alpha and expands greyscale to three channels', async () => {
    const rgba = await preprocessClipImage(await twoColourPng(64, 64, [10, 20, 30], [10, 20, 30], 4));
    expect(rgba[0]).toBeCloseTo(norm([10, 20, 30])[0]!, 5);
    expect(rgba[2 * 224 * 224]).toBeCloseTo(norm([10, 20, 30])[2]!, 5);
    const grey = await sharp({ create: { width: 50, height: 40, channels: 3, background: { r: 90, g: 90, b: 90 } } })
      .greyscale()
      .png()
      .toBuffer();
    const g = await preprocessClipImage(grey);
    for (let c = 0; c < 3; c++) expect(g[c * 224 * 224 + 500]).toBeCloseTo(norm([90, 90, 90])[c]!, 4);
  });

  it('rejects bytes that are not an image with INPUT_INVALID', async () => {
    const err = await preprocessClipImage(new TextEncoder().encode('not an image')).catch((e: unknown) => e);
    expect(isRecoError(err, 'INPUT_INVALID')).toBe(true);
  });
});

describe('ClipImageEncoder', () => {
  it('has the projection size as dimension and a text tower', () => {
    expect(clip.dim).toBe(16);
    expect(clip.id).toBe('clip:clip-vit-b32:16');
    expect(typeof clip.encodeText).toBe('function');
  });

  it('encodes images in batches into L2-normalised rows, the same as one by one', async () => {
    const imgs = await Promise.all([
      twoColourPng(300, 200, [255, 0, 0], [0, 0, 255]),
      twoColourPng(64, 64, [0, 255, 0], [0, 255, 0]),
      twoColourPng(500, 333, [200, 100, 0], [0, 0, 0]),
    ]);
    const all = await clip.encode(imgs); // batch size 2 → 2 batches
    for (let i = 0; i < 3; i++) {
      expect(rowNorm(all, 16, i)).toBeCloseTo(1, 5);
      expect(maxAbsDiff(all.subarray(i * 16, (i + 1) * 16), await clip.encode([imgs[i]!]))).toBeLessThan(1e-5);
    }
    expect(maxAbsDiff(all.subarray(0, 16), all.subarray(16, 32))).toBeGreaterThan(0.01);
  });

  it('encodeText: normalised, padding-independent (CLIP pads with end-of-text and pools at the first one), truncated at 77', async () => {
    const long = 'a photo of a red cat and a blue dog '.repeat(40);
    const alone = await clip.encodeText!(['red sneakers']);
    const batch = await clip.encodeText!(['red sneakers', long]);
    expect(maxAbsDiff(alone, batch.subarray(0, 16))).toBeLessThan(1e-5);
    expect(rowNorm(batch, 16, 1)).toBeCloseTo(1, 5);
    const other = await clip.encodeText!(['빨간 운동화']);
    expect(maxAbsDiff(alone, other)).toBeGreaterThan(0.01);
  });
});

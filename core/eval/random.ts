/**
 * The project's one seeded pseudo-random number generator, for splits, generators, training, tie-breaking and the
 * data-generation scripts (reproducible runs, byte-stable generated files).
 * mulberry32: 32-bit state, fast, good enough for sampling (not for cryptography).
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Shuffles in place (Fisher–Yates) and returns the array. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T;
}

/**
 * The raw mulberry32 stream from a 32-bit state, uniform in [0, 1). `createRng` wraps it (seed 0 is remapped there);
 * scripts seeded by a string use {@link rngFromString}.
 */
export function mulberry32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** mulberry32 seeded with the FNV-1a hash of `seed` XOR `mix` (a deterministic stream per id or name). */
export function rngFromString(seed: string, mix = 0): () => number {
  return mulberry32((fnv1a(seed) ^ mix) >>> 0);
}

export function createRng(seed: number): Rng {
  const next = mulberry32(seed >>> 0 || 0x9e3779b9);
  let spare: number | undefined;
  return {
    next,
    int: (n) => Math.floor(next() * n),
    normal() {
      if (spare !== undefined) {
        const v = spare;
        spare = undefined;
        return v;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    shuffle(a) {
      for (let i = a.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
      }
      return a;
    },
  };
}

/** FNV-1a 32-bit hash of a string (stable across runs and machines), for feature hashing. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Shared helpers for the models suites: tiny models in a private temp dir, an in-memory store, a recording logger. */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyValueStore, Logger } from '../../core/ports.js';
import { makeTinyModels, type TinyModelsInfo } from '../../models/fixtures/make-tiny-models.js';
import { IN_PROCESS, emulatedReadBatch, emulatedWriteBatch } from '../helpers/batch-emulation.js';

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join('tests/.tmp', `${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function tinyModels(prefix = 'models'): TinyModelsInfo & { cleanup: () => void } {
  const { dir, cleanup } = tempDir(prefix);
  return { ...makeTinyModels(dir), cleanup };
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg: string;
}

export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const make = (): Logger & { lines: LogLine[] } => ({
    lines,
    debug: (obj, msg) => void lines.push({ level: 'debug', obj, msg: msg ?? '' }),
    info: (obj, msg) => void lines.push({ level: 'info', obj, msg: msg ?? '' }),
    warn: (obj, msg) => void lines.push({ level: 'warn', obj, msg: msg ?? '' }),
    error: (obj, msg) => void lines.push({ level: 'error', obj, msg: msg ?? '' }),
    child: () => make(),
  });
  return make();
}

/** A Map-backed KeyValueStore (the real ones live in infra/). Stores values as given, like the memory adapter. */
export function memoryStore(): KeyValueStore & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  const k = (ns: string, key: string) => `${ns}\u0000${key}`;
  const store: KeyValueStore & { data: Map<string, unknown> } = {
    data,
    description: 'memory',
    capabilities: IN_PROCESS,
    readBatch: (keys) => emulatedReadBatch(store, keys),
    writeBatch: (writes, o) => emulatedWriteBatch(store, writes, o),
    // Values are copied in and out, as a real store serialises them (a caller mutating what it read must not
    // change the stored value behind a compare-and-set).
    get: async <T>(ns: string, key: string) => structuredClone(data.get(k(ns, key))) as T | undefined,
    getMany: async <T>(ns: string, keys: readonly string[]) =>
      keys.map((key) => structuredClone(data.get(k(ns, key))) as T | undefined),
    set: async (ns, key, value) => void data.set(k(ns, key), structuredClone(value)),
    delete: async (ns, key) => data.delete(k(ns, key)),
    async *keys(ns, prefix = '') {
      for (const key of data.keys()) {
        const [n, rest] = key.split('\u0000') as [string, string];
        if (n === ns && rest.startsWith(prefix)) yield rest;
      }
    },
    acquireLock: async () => true,
    acquireLease: async (name, owner, ttlMs) => ({ ok: true, lease: { name, owner, token: 0, ttlMs } }),
    releaseLock: async () => {},
    close: async () => {},
  };
  return store;
}

export function rowNorm(m: Float32Array, dim: number, row: number): number {
  let s = 0;
  for (let i = 0; i < dim; i++) s += m[row * dim + i]! ** 2;
  return Math.sqrt(s);
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

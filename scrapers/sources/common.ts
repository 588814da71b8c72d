/** Helpers shared by the built-in plugins. */
import { load, type CheerioAPI } from 'cheerio';
import type { PluginOptions } from '../types.js';

/** The plugin's base URL without a trailing slash: the override when given, else the site's. */
export function baseUrlOf(options: PluginOptions | undefined, fallback: string): string {
  return (options?.baseUrl ?? fallback).replace(/\/+$/, '');
}

export function html(body: string): CheerioAPI {
  return load(body);
}

/** Collapsed, trimmed text. */
export function clean(s: string | undefined | null): string {
  return (s ?? '').replace(/\s+/g, ' ').trim();
}

/** `src`, or the lazy-loading attributes sites use instead. */
export function imgSrc(el: { attr(name: string): string | undefined }): string | undefined {
  for (const a of ['data-src', 'data-lazy-src', 'data-lazysrc', 'data-original', 'src']) {
    const v = el.attr(a);
    if (v && !v.startsWith('data:')) return v;
  }
  return undefined;
}

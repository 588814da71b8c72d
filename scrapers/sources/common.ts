/** Helpers shared by the built-in plugins. */
import { load, type CheerioAPI } from 'cheerio';
import type { Category, Lang } from '../../core/domain.js';
import type { PluginOptions, SourcePlugin } from '../types.js';

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

/** Options of a source configured as one URL (an RSS/Atom feed, an OpenGraph page). */
export interface SinglePageOptions extends PluginOptions {
  url: string;
  /** Source id suffix (default: derived from the URL). */
  name?: string;
  category?: Category;
  lang?: Lang;
}

/** A plain-HTTP source that reads one configured URL (the generic RSS and OpenGraph plugins). */
export function singlePageSource(
  kind: { prefix: string; label: string },
  options: SinglePageOptions,
  name: string,
  parse: SourcePlugin['parse'],
): SourcePlugin {
  return {
    id: `${kind.prefix}:${name}`,
    displayName: `${kind.label} ${name}`,
    mode: 'http',
    defaultCategory: options.category ?? 'news',
    defaultLang: options.lang ?? 'en',
    baseUrl: new URL(options.url).origin,
    politeness: { delayMs: 1000, perDomain: 1, ...options.politeness },
    ...(options.intervalMinutes !== undefined && { intervalMinutes: options.intervalMinutes }),
    listPages: () => [{ url: options.url, ...(options.lang && { lang: options.lang }) }],
    parse,
  };
}

/**
 * URLs people type, and the stable id of a source. The id is the `ContentItem.source` of the source's items
 * (so filters, preferences and the subscription boost all name the same thing): `rss:` for feeds, `og:` for
 * pages, then host (without `www.`) + path + query, scheme-less so `http://` and `https://` of one feed are one
 * source; too long, the path is replaced by a short hash.
 */
import { fnv1a } from '../text.js';
import type { SourceKind } from './types.js';

const MAX_ID_BODY = 90;

/**
 * A URL from what a person typed: `example.com/feed` gets `https://`; only http(s) is accepted, without
 * credentials (`user:pass@`), and the fragment is dropped. Undefined when it is no such URL.
 */
export function normalizeSourceUrl(input: string): string | undefined {
  const s = input.trim().replace(/^<(.+)>$/, '$1'); // Discord/Telegram clients sometimes keep <url>
  if (!s || /\s/.test(s) || s.length > 2048) return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(s) ? s : `https://${s}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    return undefined;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname || u.username || u.password) return undefined;
  u.hash = '';
  return u.toString();
}

export function sourceIdOf(kind: SourceKind, url: string): string {
  const u = new URL(url);
  const host = u.host.toLowerCase().replace(/^www\./, ''); // with a port when not the default
  let body = `${host}${u.pathname.replace(/\/+$/, '')}${u.search}`;
  if (body.length > MAX_ID_BODY) body = `${host.slice(0, 60)}/~${fnv1a(`${u.pathname}${u.search}`).toString(36)}`;
  return `${kind === 'feed' ? 'rss' : 'og'}:${body}`;
}

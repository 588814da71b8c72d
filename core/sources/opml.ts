/**
 * OPML import and export (OPML 1.0 and 2.0, http://opml.org/spec2.opml), as feed readers write it: folders are
 * outlines without `xmlUrl` holding feed outlines (Feedly, Inoreader, NetNewsWire, FreshRSS), feeds carry
 * `xmlUrl` (and usually `htmlUrl`, `text`, `title`, `type="rss"`), sometimes a `category` attribute
 * (comma-separated, `/`-delimited paths), sometimes no title at all; attribute names vary in case
 * (`xmlurl`). Pages are `type="link"` outlines with a `url`. No DTD or entity declarations are accepted (an
 * OPML file never needs them; they are how XML bombs work).
 */
import { XMLParser } from 'fast-xml-parser';
import { RecoError } from '../errors.js';

export interface OpmlEntry {
  /** The feed (`xmlUrl`), or the page of a `type="link"` outline (`url`). */
  url: string;
  kind: 'feed' | 'page';
  title?: string;
  htmlUrl?: string;
  /** Folder names from the outermost in, then the `category` attribute's parts. */
  categories: string[];
}

export interface OpmlDocument {
  title?: string;
  entries: OpmlEntry[];
  /** Outlines skipped: nested too deep, or more than the limit. */
  skipped: number;
}

const MAX_DEPTH = 16;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  isArray: (name) => name.toLowerCase() === 'outline',
});

type Node = Record<string, unknown>;

/** An attribute by name, whatever its case (`xmlUrl`, `xmlurl`, `XMLURL`). */
function attr(node: Node, name: string): string | undefined {
  const want = `@_${name}`.toLowerCase();
  for (const [k, v] of Object.entries(node))
    if (k.toLowerCase() === want && typeof v === 'string' && v.trim()) return v.trim();
  return undefined;
}

function child(node: Node | undefined, name: string): unknown {
  if (!node) return undefined;
  for (const [k, v] of Object.entries(node)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** Parses an OPML document; `maxEntries` bounds the work on a hostile file. */
export function parseOpml(xml: string, maxEntries = 5000): OpmlDocument {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml))
    throw new RecoError('INPUT_INVALID', 'OPML with a DTD or entity declarations is refused');
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch (e) {
    throw new RecoError('INPUT_INVALID', `not an OPML file: ${(e as Error).message}`, { cause: e });
  }
  const opml = child(doc, 'opml') as Node | undefined;
  const body = child(opml, 'body') as Node | undefined;
  if (!opml || !body) throw new RecoError('INPUT_INVALID', 'not an OPML file: no <opml><body>');
  const head = child(opml, 'head') as Node | undefined;
  const titleNode = child(head, 'title');
  const title = typeof titleNode === 'string' ? titleNode : undefined;
  const entries: OpmlEntry[] = [];
  let skipped = 0;
  const walk = (outlines: unknown, folders: string[], depth: number) => {
    for (const o of Array.isArray(outlines) ? (outlines as Node[]) : []) {
      if (!o || typeof o !== 'object') continue;
      if (depth > MAX_DEPTH || entries.length >= maxEntries) {
        skipped++;
        continue;
      }
      const name = attr(o, 'title') ?? attr(o, 'text');
      const xmlUrl = attr(o, 'xmlUrl');
      const type = attr(o, 'type')?.toLowerCase();
      const linkUrl = type === 'link' ? attr(o, 'url') : undefined;
      const categories = [
        ...folders,
        ...(attr(o, 'category') ?? '')
          .split(',')
          .flatMap((c) => c.split('/'))
          .map((c) => c.trim())
          .filter(Boolean),
      ];
      if (xmlUrl || linkUrl) {
        const htmlUrl = attr(o, 'htmlUrl');
        entries.push({
          url: (xmlUrl ?? linkUrl)!,
          kind: xmlUrl ? 'feed' : 'page',
          ...(name ? { title: name } : {}),
          ...(htmlUrl ? { htmlUrl } : {}),
          categories,
        });
      }
      const inner = child(o, 'outline');
      if (inner) walk(inner, xmlUrl || linkUrl || !name ? folders : [...folders, name], depth + 1);
    }
  };
  walk(child(body, 'outline'), [], 0);
  return { ...(title ? { title } : {}), entries, skipped };
}

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

export interface OpmlExportEntry {
  title: string;
  kind: 'feed' | 'page';
  url: string;
  htmlUrl?: string;
  /** The folder it goes in (absent: at the top level). */
  folder?: string;
}

/** An OPML 2.0 document: one folder outline per `folder`, feeds as `type="rss"`, pages as `type="link"`. */
export function buildOpml(o: { title: string; dateCreated: Date; entries: readonly OpmlExportEntry[] }): string {
  const line = (e: OpmlExportEntry, indent: string) => {
    const t = escapeXml(e.title);
    const attrs =
      e.kind === 'feed'
        ? `type="rss" text="${t}" title="${t}" xmlUrl="${escapeXml(e.url)}"${e.htmlUrl ? ` htmlUrl="${escapeXml(e.htmlUrl)}"` : ''}`
        : `type="link" text="${t}" title="${t}" url="${escapeXml(e.url)}"`;
    return `${indent}<outline ${attrs}/>`;
  };
  const folders = new Map<string, OpmlExportEntry[]>();
  const top: OpmlExportEntry[] = [];
  for (const e of o.entries) {
    if (!e.folder) top.push(e);
    else folders.set(e.folder, [...(folders.get(e.folder) ?? []), e]);
  }
  const body: string[] = [];
  for (const [folder, list] of [...folders].sort((a, b) => a[0].localeCompare(b[0]))) {
    const f = escapeXml(folder);
    body.push(`    <outline text="${f}" title="${f}">`, ...list.map((e) => line(e, '      ')), '    </outline>');
  }
  body.push(...top.map((e) => line(e, '    ')));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<opml version="2.0">',
    '  <head>',
    `    <title>${escapeXml(o.title)}</title>`,
    `    <dateCreated>${o.dateCreated.toUTCString()}</dateCreated>`,
    '  </head>',
    '  <body>',
    ...body,
    '  </body>',
    '</opml>',
    '',
  ].join('\n');
}

/**
 * Generates one 160x90 WebP thumbnail per built-in catalog item into core/catalog/builtin/thumbs/.
 *
 *   npx tsx scripts/catalog/gen-thumbnails.ts
 *
 * Each image is an SVG rendered by sharp: the category's colour gradient, a sub-topic icon drawn in
 * the subject's dominant colour (red for red sneakers, orange for Jeju tangerines…) on a badge, a
 * soft colour disc, a few decorative shapes placed by a PRNG seeded with the item id, and a bottom
 * stripe in the source's brand colour. Deterministic for a given sharp/libvips version. Stale
 * thumbnails (ids no longer in the catalog) are removed.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { Category } from '../../core/domain.js';
import { rngFromString } from '../../core/eval/random.js';
import { buildBuiltinRows, THUMB_DIR } from './builtin/index.js';
import type { Topic } from './builtin/topics.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const W = 160;
const H = 90;
/** Target size per file; quality steps down until a file fits. */
const MAX_BYTES = 3 * 1024;

const PALETTES: Record<Category, readonly [string, string, string]> = {
  // [gradient start, gradient end, decoration]
  news: ['#1f3a5f', '#4f7cac', '#c0d6ec'],
  tech: ['#101828', '#36506e', '#6ee7f9'],
  games: ['#2b1055', '#6a5acd', '#ffd166'],
  sports: ['#0b6e4f', '#52b788', '#d8f3dc'],
  entertainment: ['#6a1b9a', '#e573b6', '#ffe5ec'],
  music: ['#240046', '#9d4edd', '#ffd6ff'],
  food: ['#ffb703', '#fb8500', '#fff3b0'],
  travel: ['#0077b6', '#90e0ef', '#ffffff'],
  fashion: ['#f8edeb', '#f4acb7', '#9d8189'],
  science: ['#03045e', '#0096c7', '#caf0f8'],
  finance: ['#1b4332', '#74c69d', '#ffd60a'],
  lifestyle: ['#f4f1de', '#e9c46a', '#81b29a'],
};

const SOURCE_COLOURS: Record<string, string> = {
  'naver-news': '#03c75a',
  'google-news': '#4285f4',
  youtube: '#ff0000',
  twitch: '#9146ff',
  clien: '#3f51b5',
  inven: '#e2231a',
  instagram: '#e1306c',
  tiktok: '#25f4ee',
};

type Icon = (c: string, d: string, bg: string) => string;

/** Icons in a 40x40 box. c = subject colour, d = detail colour readable on c, bg = badge colour. */
const ICONS: Record<Topic, Icon> = {
  weather: (c) =>
    `<circle cx="13" cy="13" r="8" fill="#ffca28"/><path d="M7 33h25a7 7 0 0 0-1.5-13.8A9 9 0 0 0 13.2 21 6 6 0 0 0 7 33z" fill="${c}"/>`,
  transit: (c, d) =>
    `<rect x="8" y="4" width="24" height="27" rx="6" fill="${c}"/><rect x="11" y="8" width="18" height="9" rx="2" fill="${d}"/><circle cx="14" cy="24" r="2.5" fill="${d}"/><circle cx="26" cy="24" r="2.5" fill="${d}"/><path d="M12 31l-4 6M28 31l4 6" stroke="${c}" stroke-width="3"/>`,
  education: (c) =>
    `<path d="M20 6L2 15l18 9 18-9z" fill="${c}"/><path d="M9 19v9c0 3 5 6 11 6s11-3 11-6v-9l-11 5.5z" fill="${c}" opacity=".8"/><path d="M36 15v12" stroke="${c}" stroke-width="2"/>`,
  health: (c) =>
    `<rect x="15" y="5" width="10" height="30" rx="2" fill="${c}"/><rect x="5" y="15" width="30" height="10" rx="2" fill="${c}"/>`,
  city: (c, _d, bg) =>
    `<rect x="4" y="16" width="10" height="20" fill="${c}"/><rect x="15" y="5" width="11" height="31" fill="${c}"/><rect x="27" y="12" width="9" height="24" fill="${c}" opacity=".8"/><path d="M18 9h2M22 9h2M18 14h2M22 14h2M18 19h2M22 19h2M7 20h4M7 25h4" stroke="${bg}" stroke-width="2"/>`,
  ai: (c) =>
    `<path d="M8 10L20 20 8 30M8 10l24 4M8 30l24-4M8 20h12l12-6M20 20l12 6" stroke="${c}" stroke-width="2" fill="none"/><circle cx="8" cy="10" r="4" fill="${c}"/><circle cx="8" cy="30" r="4" fill="${c}"/><circle cx="20" cy="20" r="5" fill="${c}"/><circle cx="32" cy="14" r="4" fill="${c}"/><circle cx="32" cy="26" r="4" fill="${c}"/>`,
  phone: (c, d) =>
    `<rect x="11" y="2" width="18" height="36" rx="4" fill="${c}"/><rect x="13.5" y="6" width="13" height="26" rx="1.5" fill="${d}" opacity=".85"/><circle cx="20" cy="35" r="1.5" fill="${d}"/>`,
  chip: (c, d) =>
    `<path d="M14 3v6M20 3v6M26 3v6M14 31v6M20 31v6M26 31v6M3 14h6M3 20h6M3 26h6M31 14h6M31 20h6M31 26h6" stroke="${c}" stroke-width="2.5"/><rect x="9" y="9" width="22" height="22" rx="3" fill="${c}"/><rect x="14" y="14" width="12" height="12" rx="1" fill="${d}" opacity=".7"/>`,
  pc: (c, d) =>
    `<rect x="3" y="5" width="34" height="23" rx="2" fill="${c}"/><rect x="6" y="8" width="28" height="17" fill="${d}" opacity=".8"/><path d="M17 28h6l2 6h-10z" fill="${c}"/><rect x="11" y="34" width="18" height="3" rx="1" fill="${c}"/>`,
  security: (c, d) =>
    `<path d="M20 3l14 5v10c0 9-6 16-14 19C12 34 6 27 6 18V8z" fill="${c}"/><circle cx="20" cy="17" r="4" fill="${d}"/><path d="M18.5 19h3l1 8h-5z" fill="${d}"/>`,
  lol: (c, d) =>
    `<path d="M20 2l16 9v18l-16 9-16-9V11z" fill="${c}"/><path d="M20 9l9 11-9 11-9-11z" fill="${d}" opacity=".85"/><path d="M20 14l4 6-4 6-4-6z" fill="${c}"/>`,
  starcraft: (c) =>
    `<path d="M20 2l4.5 12.5L38 15l-10.5 8L31 37l-11-8-11 8 3.5-14L2 15l13.5-.5z" fill="${c}"/><circle cx="20" cy="20" r="4" fill="#fff" opacity=".6"/>`,
  indie: (c) =>
    `<path d="M8 10h8v4h8v-4h8v4h4v10h-4v4h-4v4h-4v4h-4v-4h-4v-4H8v-4H4V14h4z" fill="${c}"/><rect x="10" y="14" width="4" height="4" fill="#fff" opacity=".7"/>`,
  mmorpg: (c, _d, bg) =>
    `<path d="M31 3h6v6L19 27l-6-6z" fill="${c}"/><path d="M9 19l12 12-3 3L6 22z" fill="${c}" opacity=".85"/><path d="M11 29l-7 7" stroke="${c}" stroke-width="4" stroke-linecap="round"/><path d="M33 7L19 21" stroke="${bg}" stroke-width="1.2" opacity=".6"/>`,
  console: (c, d) =>
    `<path d="M10 10h20c6 0 9 6 9 14 0 7-3 10-6 10s-5-4-8-6H15c-3 2-5 6-8 6s-6-3-6-10c0-8 3-14 9-14z" fill="${c}"/><path d="M11 17v8M7 21h8" stroke="${d}" stroke-width="2.5"/><circle cx="28" cy="18" r="2" fill="${d}"/><circle cx="32" cy="23" r="2" fill="${d}"/>`,
  fps: (c) =>
    `<circle cx="20" cy="20" r="13" stroke="${c}" stroke-width="3" fill="none"/><circle cx="20" cy="20" r="3" fill="${c}"/><path d="M20 1v10M20 29v10M1 20h10M29 20h10" stroke="${c}" stroke-width="3"/>`,
  football: (c, d) =>
    `<circle cx="20" cy="20" r="17" fill="${c}" stroke="${d}" stroke-width="1"/><path d="M20 13l6.7 4.9-2.6 7.8h-8.2l-2.6-7.8z" fill="${d}"/><path d="M20 13V7M26.7 17.9l5.7-1.9M24.1 25.7l3.5 4.9M15.9 25.7l-3.5 4.9M13.3 17.9l-5.7-1.9" stroke="${d}" stroke-width="1.5"/><path d="M16 3.5l4 3.5 4-3.5M35.5 13l-3.1 3 1.6 5.5M31 33l-3.4-2.4-5 1.4M9 33l3.4-2.4 5 1.4M4.5 13l3.1 3-1.6 5.5" stroke="${d}" stroke-width="1.5" fill="none"/>`,
  baseball: (c) =>
    `<circle cx="20" cy="20" r="17" fill="${c}" stroke="#b0bec5" stroke-width="1"/><path d="M10 6c5 8 5 20 0 28M30 6c-5 8-5 20 0 28" stroke="#e53935" stroke-width="2" fill="none" stroke-dasharray="2 2"/>`,
  basketball: (c, d) =>
    `<circle cx="20" cy="20" r="17" fill="${c}"/><path d="M3 20h34M20 3v34M8 8c6 6 6 18 0 24M32 8c-6 6-6 18 0 24" stroke="${d}" stroke-width="1.8" fill="none"/>`,
  golf: (c) =>
    `<path d="M14 4v32" stroke="#455a64" stroke-width="2.5"/><path d="M15 4l16 6-16 6z" fill="${c}"/><ellipse cx="18" cy="36" rx="12" ry="3" fill="${c}" opacity=".5"/><circle cx="28" cy="31" r="3.5" fill="#fff" stroke="#90a4ae"/>`,
  running: (c, d) =>
    `<circle cx="20" cy="23" r="14" fill="${c}"/><rect x="17" y="3" width="6" height="5" rx="1" fill="${c}"/><circle cx="20" cy="23" r="10" fill="${d}" opacity=".9"/><path d="M20 23V16M20 23l5 3" stroke="${c}" stroke-width="2.5" stroke-linecap="round"/>`,
  drama: (c, d) =>
    `<path d="M14 3l6 7 6-7" stroke="${c}" stroke-width="2" fill="none"/><rect x="3" y="10" width="34" height="25" rx="4" fill="${c}"/><rect x="7" y="14" width="26" height="17" rx="2" fill="${d}" opacity=".85"/><path d="M18 18l6 4-6 4z" fill="${c}"/>`,
  movie: (c, d) =>
    `<rect x="4" y="16" width="32" height="20" rx="2" fill="${c}"/><path d="M4 8l30-5 1.5 8-30 5z" fill="${c}"/><path d="M10 7l5 8M18 5.5l5 8M26 4.3l5 8" stroke="${d}" stroke-width="2.5"/>`,
  variety: (c, d) =>
    `<circle cx="20" cy="20" r="17" fill="${c}"/><path d="M10 15q3-4 6 0M24 15q3-4 6 0" stroke="${d}" stroke-width="2.2" fill="none"/><path d="M10 22h20q0 11-10 11T10 22z" fill="${d}"/>`,
  webtoon: (c, d) =>
    `<rect x="3" y="3" width="15" height="15" rx="2" fill="${c}"/><rect x="22" y="3" width="15" height="15" rx="2" fill="${c}" opacity=".75"/><rect x="3" y="22" width="34" height="15" rx="2" fill="${c}"/><ellipse cx="20" cy="29" rx="9" ry="4.5" fill="${d}"/>`,
  anime: (c) =>
    `<path d="M16 3q2 11 13 13-11 2-13 13-2-11-13-13 11-2 13-13z" fill="${c}"/><path d="M31 22q1 6 7 7-6 1-7 7-1-6-7-7 6-1 7-7z" fill="${c}" opacity=".75"/>`,
  kpop: (c) =>
    `<circle cx="20" cy="13" r="12" fill="${c}" opacity=".35"/><circle cx="20" cy="13" r="8" fill="${c}"/><rect x="17.5" y="20" width="5" height="18" rx="2" fill="#37474f"/>`,
  jazz: (c) =>
    `<path d="M13 8l20-5v24" stroke="${c}" stroke-width="3" fill="none"/><path d="M13 8v22" stroke="${c}" stroke-width="3"/><ellipse cx="9" cy="30" rx="6" ry="4.5" fill="${c}"/><ellipse cx="29" cy="27" rx="6" ry="4.5" fill="${c}"/>`,
  hiphop: (c, d) =>
    `<rect x="13" y="2" width="14" height="20" rx="7" fill="${c}"/><path d="M16 7h8M16 11h8M16 15h8" stroke="${d}" stroke-width="1.2" opacity=".7"/><path d="M9 17c0 8 5 11 11 11s11-3 11-11" stroke="${c}" stroke-width="2.5" fill="none"/><path d="M20 28v8M13 37h14" stroke="${c}" stroke-width="2.5"/>`,
  classical: (c) =>
    `<path d="M2 10h36M2 16h36M2 22h36M2 28h36" stroke="${c}" stroke-width="1" opacity=".45"/><ellipse cx="15" cy="29" rx="6" ry="4.5" fill="${c}"/><path d="M20.5 29V5q6 3 8 9" stroke="${c}" stroke-width="2.5" fill="none"/>`,
  acoustic: (c, d) =>
    `<path d="M24 16l12-12" stroke="#5d4037" stroke-width="4"/><circle cx="20" cy="25" r="9" fill="${c}"/><circle cx="13" cy="31" r="7" fill="${c}"/><circle cx="26" cy="17" r="6.5" fill="${c}"/><circle cx="18" cy="26" r="3" fill="${d}"/>`,
  ramen: (c) =>
    `<path d="M6 4l14 14M12 2l12 15" stroke="#8d6e63" stroke-width="2"/><path d="M13 18c2-3 4 3 6 0s4 3 6 0 4 3 6 0" stroke="#ffe082" stroke-width="2" fill="none"/><path d="M3 20h34c0 9-7 16-17 16S3 29 3 20z" fill="${c}"/><path d="M9 25h22" stroke="#fff" stroke-width="1.5" opacity=".6"/>`,
  kimchi: (c, d) =>
    `<path d="M20 3c10 3 15 12 13 22-2 8-8 12-13 12S9 33 7 25C5 15 10 6 20 3z" fill="${c}"/><path d="M20 6v29M20 14l-7 5M20 14l7 5M20 22l-8 5M20 22l8 5" stroke="${d}" stroke-width="1.5" opacity=".8" fill="none"/>`,
  baking: (c, d) =>
    `<path d="M4 20c0-8 7-12 16-12s16 4 16 12v14H4z" fill="${c}"/><path d="M12 15l4 6M19 13l4 6M26 15l4 6" stroke="${d}" stroke-width="2" opacity=".7"/>`,
  coffee: (c) =>
    `<path d="M14 3c-2 3 2 4 0 7M20 3c-2 3 2 4 0 7M26 3c-2 3 2 4 0 7" stroke="#90a4ae" stroke-width="1.5" fill="none"/><path d="M5 13h24v12c0 6-5 11-12 11S5 31 5 25z" fill="${c}"/><path d="M29 16h3a5 5 0 0 1 0 10h-3" stroke="${c}" stroke-width="3" fill="none"/>`,
  streetfood: (c) =>
    `<path d="M4 36L36 4" stroke="#a1887f" stroke-width="2.5"/><circle cx="13" cy="27" r="6" fill="${c}"/><circle cx="20" cy="20" r="6" fill="${c}" opacity=".85"/><circle cx="27" cy="13" r="6" fill="${c}"/>`,
  jeju: (c) =>
    `<circle cx="20" cy="23" r="14" fill="${c}"/><path d="M20 9c0-4 3-6 8-6-1 4-4 6-8 6z" fill="#2e7d32"/><path d="M20 9v-3" stroke="#5d4037" stroke-width="2"/><circle cx="15" cy="19" r="3" fill="#fff" opacity=".35"/>`,
  tokyo: (c, _d, bg) =>
    `<path d="M20 2l12 36H8z" fill="${c}"/><path d="M14 21h12M11 30h18" stroke="${bg}" stroke-width="2.5"/><path d="M20 12l-5 18M20 12l5 18" stroke="${bg}" stroke-width="1.2" opacity=".7"/>`,
  hiking: (c) => `<path d="M1 36l13-24 9 15 5-7 11 16z" fill="${c}"/><path d="M14 12l-4 7 4-2 4 2z" fill="#fff"/>`,
  busan: (c) =>
    `<circle cx="28" cy="11" r="6" fill="#ffb703"/><path d="M2 22q5-5 9 0t9 0 9 0 9 0v4q-5-5-9 0t-9 0-9 0-9 0z" fill="${c}"/><path d="M2 31q5-5 9 0t9 0 9 0 9 0v6H2z" fill="${c}" opacity=".8"/>`,
  camping: (c, d) =>
    `<path d="M20 4L3 35h34z" fill="${c}"/><path d="M20 16l-7 19h14z" fill="${d}" opacity=".85"/><path d="M20 4v-2M1 36h38" stroke="#5d4037" stroke-width="2"/>`,
  sneakers: (c, d) =>
    `<path d="M3 15c5 0 8-2 10-6l5 2c1 3 4 5 8 6l9 3c3 1 4 4 4 7v2H3z" fill="${c}"/><rect x="2" y="28" width="37" height="5" rx="2" fill="${d}"/><path d="M16 15l3-2M19 18l3-2M22 20l3-2" stroke="${d}" stroke-width="1.8"/>`,
  streetwear: (c, d) =>
    `<path d="M14 4c0 5 3 7 6 7s6-2 6-7l10 5 3 10-6 2v15H7V21l-6-2 3-10z" fill="${c}"/><path d="M14 4c1 7 11 7 12 0" stroke="${d}" stroke-width="2" fill="none"/><rect x="14" y="24" width="12" height="6" rx="1" fill="${d}" opacity=".5"/>`,
  vintage: (c) =>
    `<path d="M20 14V11a3.5 3.5 0 1 1 3.5-3.5" stroke="${c}" stroke-width="2.5" fill="none"/><path d="M20 14L3 28h34z" stroke="${c}" stroke-width="3" fill="none" stroke-linejoin="round"/><rect x="6" y="30" width="28" height="6" rx="1" fill="${c}" opacity=".8"/>`,
  ootd: (c, d) =>
    `<path d="M15 3h10l3 9-3 3 9 21H6l9-21-3-3z" fill="${c}"/><path d="M14 15h12" stroke="${d}" stroke-width="2"/>`,
  space: (c) =>
    `<ellipse cx="20" cy="21" rx="19" ry="6" stroke="#ffd166" stroke-width="2" fill="none" transform="rotate(-18 20 21)"/><circle cx="20" cy="20" r="11" fill="${c}"/><path d="M9.5 24.5a19 6 -18 0 0 21-8" stroke="#ffd166" stroke-width="2" fill="none"/>`,
  climate: (c) =>
    `<rect x="16" y="2" width="8" height="26" rx="4" fill="#cfd8dc"/><rect x="18" y="12" width="4" height="18" fill="${c}"/><circle cx="20" cy="31" r="7" fill="${c}"/><path d="M27 8h5M27 14h5M27 20h5" stroke="#90a4ae" stroke-width="1.5"/>`,
  biology: (c) =>
    `<path d="M12 2c0 9 16 9 16 18S12 29 12 38M28 2c0 9-16 9-16 18s16 9 16 18" stroke="${c}" stroke-width="3" fill="none"/><path d="M14 8h12M14 32h12M16 20h8" stroke="${c}" stroke-width="1.8" opacity=".6"/>`,
  physics: (c) =>
    `<ellipse cx="20" cy="20" rx="17" ry="6.5" stroke="${c}" stroke-width="2.2" fill="none"/><ellipse cx="20" cy="20" rx="17" ry="6.5" stroke="${c}" stroke-width="2.2" fill="none" transform="rotate(60 20 20)"/><ellipse cx="20" cy="20" rx="17" ry="6.5" stroke="${c}" stroke-width="2.2" fill="none" transform="rotate(120 20 20)"/><circle cx="20" cy="20" r="3.5" fill="${c}"/>`,
  stocks: (c) =>
    `<path d="M3 3v34h34" stroke="#607d8b" stroke-width="2" fill="none"/><path d="M7 30l8-9 6 5 12-15" stroke="${c}" stroke-width="3.5" fill="none" stroke-linejoin="round"/><path d="M26 10h8v8" stroke="${c}" stroke-width="3.5" fill="none"/>`,
  crypto: (c, d) =>
    `<circle cx="20" cy="20" r="17" fill="${c}"/><path d="M15 11h7a4.5 4.5 0 0 1 0 9h-7zM15 20h8a4.5 4.5 0 0 1 0 9h-8z" stroke="${d}" stroke-width="2.5" fill="none"/><path d="M18 8v4M22 8v4M18 28v4M22 28v4" stroke="${d}" stroke-width="2"/>`,
  realestate: (c, d) =>
    `<path d="M20 3L2 19h5v18h26V19h5z" fill="${c}"/><rect x="16" y="24" width="8" height="13" fill="${d}" opacity=".85"/><rect x="10" y="21" width="5" height="5" fill="${d}" opacity=".6"/>`,
  saving: (c, d) =>
    `<ellipse cx="20" cy="32" rx="13" ry="4" fill="${c}"/><rect x="7" y="26" width="26" height="6" fill="${c}"/><ellipse cx="20" cy="26" rx="13" ry="4" fill="${c}" stroke="${d}" stroke-width="1"/><rect x="7" y="17" width="26" height="9" fill="${c}" opacity=".85"/><ellipse cx="20" cy="17" rx="13" ry="4" fill="${c}" stroke="${d}" stroke-width="1"/><circle cx="30" cy="7" r="5" fill="#ffd166"/>`,
  home: (c, d) =>
    `<rect x="3" y="15" width="6" height="17" rx="2" fill="${c}"/><rect x="31" y="15" width="6" height="17" rx="2" fill="${c}"/><rect x="8" y="10" width="24" height="14" rx="3" fill="${c}" opacity=".85"/><rect x="8" y="22" width="24" height="9" rx="2" fill="${c}"/><path d="M6 32v4M34 32v4" stroke="${d}" stroke-width="2"/>`,
  fitness: (c) =>
    `<rect x="2" y="12" width="6" height="16" rx="1.5" fill="${c}"/><rect x="8" y="9" width="6" height="22" rx="1.5" fill="${c}"/><rect x="26" y="9" width="6" height="22" rx="1.5" fill="${c}"/><rect x="32" y="12" width="6" height="16" rx="1.5" fill="${c}"/><rect x="14" y="18" width="12" height="4" fill="${c}" opacity=".8"/>`,
  pets: (c) =>
    `<ellipse cx="20" cy="27" rx="10" ry="8.5" fill="${c}"/><ellipse cx="8" cy="17" rx="4" ry="5" fill="${c}"/><ellipse cx="15" cy="9" rx="4" ry="5" fill="${c}"/><ellipse cx="25" cy="9" rx="4" ry="5" fill="${c}"/><ellipse cx="32" cy="17" rx="4" ry="5" fill="${c}"/>`,
  productivity: (c, d) =>
    `<rect x="5" y="3" width="30" height="34" rx="3" fill="${c}"/><path d="M10 11l2.5 2.5L17 9M10 20l2.5 2.5L17 18M10 29l2.5 2.5L17 27" stroke="${d}" stroke-width="2" fill="none"/><path d="M20 12h11M20 21h11M20 30h8" stroke="${d}" stroke-width="2" opacity=".7"/>`,
  plants: (c) =>
    `<path d="M20 24V12" stroke="${c}" stroke-width="2"/><path d="M20 16C12 16 8 10 8 4c8 0 12 5 12 12zM20 14c0-7 5-11 12-11 0 7-5 11-12 11z" fill="${c}"/><path d="M10 24h20l-3 13H13z" fill="#bf7b4d"/>`,
};

function hexToRgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Relative luminance 0..1 (sRGB, WCAG formula). */
function luminance(hex: string): number {
  const [r, g, b] = hexToRgb(hex).map((v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** A deterministic PRNG per thumbnail id (FNV-1a XOR a constant, then mulberry32: core/eval/random.ts). */
const rngFor = (seed: string): (() => number) => rngFromString(seed, 0x9e3779b9);

const r1 = (n: number) => Math.round(n * 10) / 10;

export function thumbnailSvg(id: string, category: Category, topic: Topic, color: string, source: string): string {
  const rng = rngFor(id);
  const [g0, g1, deco] = PALETTES[category];
  const darkBadge = luminance(color) > 0.6;
  const bg = darkBadge ? '#263238' : '#ffffff';
  const detail = luminance(color) > 0.4 ? '#263238' : '#ffffff';

  // Gradient direction, soft subject-colour disc, scattered decoration: all from the id's PRNG.
  const angle = rng() * Math.PI;
  const gx = r1(50 + 50 * Math.cos(angle));
  const gy = r1(50 + 50 * Math.sin(angle));
  const discX = r1(100 + rng() * 50);
  const discY = r1(15 + rng() * 60);
  const discR = r1(28 + rng() * 22);
  const decoShapes: string[] = [];
  const nDeco = 3 + Math.floor(rng() * 3);
  for (let i = 0; i < nDeco; i++) {
    const x = r1(84 + rng() * 72);
    const y = r1(6 + rng() * 74);
    const s = r1(2 + rng() * 5);
    decoShapes.push(
      rng() < 0.5
        ? `<circle cx="${x}" cy="${y}" r="${s}" fill="${deco}" opacity=".55"/>`
        : `<rect x="${x}" y="${y}" width="${r1(s * 1.6)}" height="${r1(s * 1.6)}" rx="1" fill="${deco}" opacity=".45" transform="rotate(${Math.round(rng() * 90)} ${x} ${y})"/>`,
    );
  }
  const badgeX = r1(40 + rng() * 14);
  const tilt = Math.round((rng() - 0.5) * 16);
  const stripe = SOURCE_COLOURS[source] ?? '#9e9e9e';
  const icon = ICONS[topic](color, detail, bg);

  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">` +
    `<defs><linearGradient id="g" x1="${100 - gx}%" y1="${100 - gy}%" x2="${gx}%" y2="${gy}%">` +
    `<stop offset="0" stop-color="${g0}"/><stop offset="1" stop-color="${g1}"/></linearGradient></defs>` +
    `<rect width="${W}" height="${H}" fill="url(#g)"/>` +
    `<circle cx="${discX}" cy="${discY}" r="${discR}" fill="${color}" opacity=".45"/>` +
    decoShapes.join('') +
    `<circle cx="${badgeX}" cy="43" r="31" fill="${bg}" opacity=".93"/>` +
    `<g transform="translate(${r1(badgeX - 23)} 20) scale(1.15) rotate(${tilt} 20 20)">${icon}</g>` +
    `<rect y="${H - 5}" width="${W}" height="5" fill="${stripe}"/>` +
    `</svg>`
  );
}

async function encode(svg: string): Promise<Buffer> {
  let out = Buffer.alloc(0);
  for (const quality of [70, 60, 50, 40]) {
    out = await sharp(Buffer.from(svg)).webp({ quality, effort: 6, smartSubsample: true }).toBuffer();
    if (out.length <= MAX_BYTES) return out;
  }
  return out;
}

async function main(): Promise<void> {
  const dir = join(ROOT, THUMB_DIR);
  mkdirSync(dir, { recursive: true });
  const rows = buildBuiltinRows();
  const wanted = new Set(rows.map((b) => `${b.row.id}.webp`));
  for (const f of readdirSync(dir)) {
    if (f.endsWith('.webp') && !wanted.has(f)) rmSync(join(dir, f));
  }
  let total = 0;
  let max = 0;
  const oversize: string[] = [];
  const BATCH = 8;
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    const buffers = await Promise.all(
      batch.map((b) => encode(thumbnailSvg(b.row.id, b.row.category, b.topic, b.color, b.row.source))),
    );
    batch.forEach((b, j) => {
      const buf = buffers[j]!;
      writeFileSync(join(dir, `${b.row.id}.webp`), buf);
      total += buf.length;
      max = Math.max(max, buf.length);
      if (buf.length > MAX_BYTES) oversize.push(`${b.row.id} (${buf.length} B)`);
    });
  }
  console.log(
    `wrote ${rows.length} thumbnails to ${THUMB_DIR} (avg ${Math.round(total / rows.length)} B, max ${max} B)`,
  );
  if (oversize.length > 0) console.warn(`over ${MAX_BYTES} B: ${oversize.join(', ')}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();

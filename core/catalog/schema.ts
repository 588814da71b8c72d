/**
 * zod schemas for catalog data: {@link ContentItem} (shared by scrapers and the catalog store) and
 * the rows of the built-in catalog file (`core/catalog/builtin/items.json`).
 */
import { z } from 'zod';
import { CATEGORIES, LANGS, type ContentItem } from '../domain.js';
import { RecoError, err, ok, type ErrorCode, type Result } from '../errors.js';

const count = z.number().int().nonnegative();

export const popularitySchema = z.object({
  views: count.exactOptional(),
  likes: count.exactOptional(),
  comments: count.exactOptional(),
  viewers: count.exactOptional(),
  rank: z.number().int().positive().exactOptional(),
});

/** http(s) URL only: items are links people click. */
export const httpUrlSchema = z.url({ protocol: /^https?$/, hostname: z.regexes.domain });

/** A project-root-relative file path: no leading slash, no `..`, no backslashes. */
export const relativePathSchema = z
  .string()
  .regex(/^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[^\\\s]+$/, 'expected a project-relative path (no leading /, no ..)');

/** `thumbnail`: an absolute https URL, or a path relative to the project root (built-in thumbnails). */
export const thumbnailSchema = z.union([z.url({ protocol: /^https$/ }), relativePathSchema]);

const isoTime = z.iso.datetime({ offset: true });
const tagsSchema = z.array(z.string().trim().min(1).max(60)).max(20);

export const contentItemSchema = z.object({
  id: z.string().min(1).max(200),
  url: httpUrlSchema,
  canonicalUrl: httpUrlSchema,
  title: z.string().trim().min(1).max(500),
  summary: z.string().max(5000),
  category: z.enum(CATEGORIES),
  source: z.string().min(1).max(100),
  lang: z.enum(LANGS),
  thumbnail: thumbnailSchema.exactOptional(),
  publishedAt: isoTime,
  dateUnknown: z.boolean().exactOptional(),
  fetchedAt: isoTime,
  popularity: popularitySchema,
  tags: tagsSchema.exactOptional(),
  contentHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest')
    .exactOptional(),
});

// Compile-time guard: the schema and the domain type must describe the same object.
// (Exact equality, optional keys included; Deep flattens intersections so the comparison is structural.)
type Deep<T> = { [K in keyof T]: T[K] extends unknown[] ? T[K] : T[K] extends object ? Deep<T[K]> : T[K] };
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const _schemaMatchesDomain: Equal<Deep<z.infer<typeof contentItemSchema>>, Deep<ContentItem>> = true;
void _schemaMatchesDomain;

/** One row of the built-in catalog file. `ageHours` becomes `publishedAt = load time - ageHours`. */
export const builtinRowSchema = z.strictObject({
  id: z.string().regex(/^builtin-[a-z]{2}-\d{4}$/, 'expected an id like builtin-yt-0001'),
  url: httpUrlSchema,
  title: z.string().trim().min(1).max(200),
  summary: z.string().trim().min(1).max(1000),
  category: z.enum(CATEGORIES),
  source: z.string().min(1).max(100),
  lang: z.enum(LANGS),
  ageHours: z.number().min(0).max(720),
  popularity: popularitySchema.strict(),
  tags: tagsSchema.exactOptional(),
  thumbnail: relativePathSchema.exactOptional(),
});
export type BuiltinRow = z.infer<typeof builtinRowSchema>;

/** `field "popularity.views": Too small: expected number to be >=0` for the first issue of a zod error. */
export function describeFirstIssue(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  if (issue === undefined) return { field: '(root)', message: 'invalid' };
  const path = issue.path.map((p) => String(p));
  // An unknown key is reported on its parent object; name the key itself.
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  return { field: path.length === 0 ? '(root)' : path.join('.'), message: issue.message };
}

/**
 * Validates an unknown value as a {@link ContentItem}; unknown keys are dropped. Failure is a value:
 * a RecoError (code `SCRAPE_FAILED` unless given: scrapers are the main producers) naming the first bad field.
 */
export function safeParseContentItem(input: unknown, code: ErrorCode = 'SCRAPE_FAILED'): Result<ContentItem> {
  const parsed = contentItemSchema.safeParse(input);
  if (parsed.success) return ok(parsed.data);
  const { field, message } = describeFirstIssue(parsed.error);
  return err(
    new RecoError(code, `invalid content item: field "${field}": ${message}`, {
      cause: parsed.error,
      details: { field, issues: parsed.error.issues.length },
    }),
  );
}

/**
 * Like {@link safeParseContentItem} but throws the RecoError (the form `scrapers/validate.ts` expects:
 * `(x: unknown) => ContentItem`).
 */
export function parseContentItem(input: unknown, code: ErrorCode = 'SCRAPE_FAILED'): ContentItem {
  const r = safeParseContentItem(input, code);
  if (!r.ok) throw r.error;
  return r.value;
}

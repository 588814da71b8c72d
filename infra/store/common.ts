/** Helpers shared by the store adapters: key layout, argument checks, error mapping, redaction. */
import { RecoError } from '../../core/errors.js';

/**
 * Namespaces are short identifiers (`users`, `feedback`, `embeddings.v2`): letters, digits, `_`, `.`, `-`.
 * They never contain `:`, so the stored key `<namespace>:<key>` is unambiguous whatever the key holds.
 */
const NAMESPACE_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export function checkNamespace(namespace: string): void {
  if (!NAMESPACE_RE.test(namespace)) {
    throw new RecoError(
      'INTERNAL',
      `Invalid store namespace ${JSON.stringify(namespace)}: use [A-Za-z0-9_.-], at most 64 characters`,
    );
  }
}

export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new RecoError('INTERNAL', 'Store keys must be non-empty strings');
  }
}

/** `<namespace>:<key>` — the key as keyv and the backend see it (Redis adds its own prefix on top). */
export function fullKey(namespace: string, key: string): string {
  checkNamespace(namespace);
  checkKey(key);
  return `${namespace}:${key}`;
}

/** Validates a TTL and returns whole milliseconds (keyv treats 0 as "no TTL", so 0/negative are refused). */
export function checkTtl(ttlMs: number | undefined): number | undefined {
  if (ttlMs === undefined) return undefined;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RecoError('INTERNAL', `Store TTL must be a positive number of milliseconds, got ${ttlMs}`);
  }
  return Math.ceil(ttlMs);
}

export function checkLockArgs(name: string, owner: string, ttlMs?: number): void {
  if (typeof name !== 'string' || name.length === 0)
    throw new RecoError('INTERNAL', 'Lock names must be non-empty strings');
  if (typeof owner !== 'string' || owner.length === 0)
    throw new RecoError('INTERNAL', 'Lock owners must be non-empty strings');
  if (ttlMs !== undefined && (!Number.isFinite(ttlMs) || ttlMs <= 0)) {
    throw new RecoError('INTERNAL', `Lock TTL must be a positive number of milliseconds, got ${ttlMs}`);
  }
}

/**
 * The smallest string greater than every string that starts with `prefix` (in code point order,
 * which is also UTF-8 byte order, i.e. SQLite's BINARY collation). `key >= prefix AND key < upper`
 * is an index range scan on the primary key.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const cps = Array.from(prefix, (c) => c.codePointAt(0) ?? 0);
  while (cps.length > 0) {
    const last = cps.pop() ?? 0;
    if (last < 0x10ffff) {
      cps.push(last + 1 === 0xd800 ? 0xe000 : last + 1);
      return String.fromCodePoint(...cps);
    }
  }
  return undefined;
}

/**
 * `redis://user:pass@host:6379/0` → `redis://user:***@host:6379/0`. Anything unparsable is
 * redacted entirely rather than risk echoing a secret.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') {
      const at = url.toLowerCase().lastIndexOf(`@${u.host.toLowerCase()}`);
      const schemeEnd = url.indexOf('://');
      if (at > schemeEnd && schemeEnd >= 0) {
        const userinfo = url.slice(schemeEnd + 3, at);
        const colon = userinfo.indexOf(':');
        const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
        return `${url.slice(0, schemeEnd + 3)}${user}:***${url.slice(at)}`;
      }
      return `${u.protocol}//***@${u.host}${u.pathname === '/' ? '' : u.pathname}`;
    }
    return url;
  } catch {
    return '[unparsable URL, redacted]';
  }
}

/** Removes every occurrence of `secret` (raw and URL-decoded) from `text`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < 3) continue; // too short to replace safely; such secrets are not echoed by us anyway
    out = out.split(s).join('***');
  }
  return out;
}

/** An Error whose message has the given secrets scrubbed (the original stack is kept). */
export function scrubError(e: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0) return e;
  if (e instanceof Error) {
    const message = scrub(e.message, secrets);
    if (message === e.message) return e;
    const copy = new Error(message);
    copy.name = e.name;
    if (e.stack !== undefined) copy.stack = scrub(e.stack, secrets);
    return copy;
  }
  return typeof e === 'string' ? scrub(e, secrets) : e;
}

export function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/[.\s]+$/, '');
}

/** Maps a backend failure to `STORE_UNAVAILABLE` (RecoErrors pass through unchanged). */
export function unavailable(description: string, op: string, e: unknown, secrets: readonly string[] = []): RecoError {
  if (e instanceof RecoError) return e;
  const cause = scrubError(e, secrets);
  return new RecoError('STORE_UNAVAILABLE', `Store ${description} failed on ${op}: ${scrub(messageOf(e), secrets)}`, {
    cause,
    details: { store: description, op },
  });
}

/** Rejects with `onTimeout()` when `promise` has not settled after `ms`. The timer never keeps the process alive. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

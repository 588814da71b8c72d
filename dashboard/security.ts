/**
 * Who may talk to the dashboard. The policy is plain data decided once at start:
 * - bound to a loopback address (the default `127.0.0.1`): open to this machine, no token needed — but requests must
 *   name a loopback host (DNS-rebinding guard) and writes must come from the page itself (CSRF guard);
 * - bound anywhere else: refused at start without `DASHBOARD_TOKEN`; every request must carry it.
 * A token, once set, is always required, wherever the dashboard is bound.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { RecoError } from '../core/errors.js';

export interface AccessPolicy {
  /** The address the server binds. */
  host: string;
  loopback: boolean;
  /** When set, every request must present it (header, cookie or a one-time `?token=`). */
  token: string | undefined;
}

/** True for `localhost`, 127.0.0.0/8, ::1 and IPv4-mapped loopback addresses. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (!ipaddr.isValid(h)) return false;
  let addr = ipaddr.parse(h);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  return addr.range() === 'loopback';
}

/**
 * Decides the access policy for a bind address and token.
 * @throws RecoError `CONFIG_INVALID` when the address is not loopback and there is no token (or a weak one).
 * @example
 * accessPolicy('127.0.0.1', undefined); // { loopback: true, token: undefined }
 * accessPolicy('0.0.0.0', undefined);   // throws: DASHBOARD_TOKEN is required
 */
export function accessPolicy(host: string, token: string | undefined): AccessPolicy {
  const loopback = isLoopbackHost(host);
  const t = token?.trim() ? token.trim() : undefined;
  if (!loopback && t === undefined)
    throw new RecoError(
      'CONFIG_INVALID',
      `The dashboard would listen on ${host}, which other machines can reach: set DASHBOARD_TOKEN (16+ characters) or bind DASHBOARD_HOST=127.0.0.1`,
      { details: { variables: ['DASHBOARD_TOKEN', 'DASHBOARD_HOST'] } },
    );
  if (t !== undefined && t.length < 16)
    throw new RecoError('CONFIG_INVALID', 'DASHBOARD_TOKEN must be at least 16 characters long', {
      details: { variables: ['DASHBOARD_TOKEN'] },
    });
  return { host, loopback, token: t };
}

const COOKIE = 'deep_reco_dashboard';
const digest = (s: string) => createHash('sha256').update(s).digest();
/** Constant-time comparison (over digests, so the lengths always match). */
export const tokenMatches = (given: string | undefined, expected: string): boolean =>
  given !== undefined && timingSafeEqual(digest(given), digest(expected));

function hostOfHeader(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  return hostHeader.replace(/:\d+$/, '');
}

/**
 * The middleware that enforces a policy: 401 without the token, 403 for a foreign Host on loopback, 403 for a write
 * without the page's own header. A valid `?token=` sets an HttpOnly cookie and redirects to the clean URL, so the
 * token leaves the address bar and the browser's history.
 */
export function accessGuard(policy: AccessPolicy): MiddlewareHandler {
  return async (c, next) => {
    if (policy.token === undefined && policy.loopback && !isLoopbackHost(hostOfHeader(c.req.header('host'))))
      return c.text('Forbidden: this dashboard only answers to localhost / 127.0.0.1.', 403);
    if (policy.token !== undefined) {
      const url = new URL(c.req.url);
      const fromQuery = url.searchParams.get('token') ?? undefined;
      if (fromQuery !== undefined && tokenMatches(fromQuery, policy.token) && c.req.method === 'GET') {
        setCookie(c, COOKIE, policy.token, { httpOnly: true, sameSite: 'Strict', path: '/' });
        url.searchParams.delete('token');
        return c.redirect(url.pathname + url.search, 303);
      }
      const auth = c.req.header('authorization');
      const bearer = auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : undefined;
      if (!tokenMatches(bearer, policy.token) && !tokenMatches(getCookie(c, COOKIE), policy.token)) {
        c.header('WWW-Authenticate', 'Bearer realm="deep-reco-dashboard"');
        return c.text(
          'Unauthorized: open the dashboard once with ?token=<DASHBOARD_TOKEN>, or send Authorization: Bearer <token>.',
          401,
        );
      }
    }
    // Writes only from the dashboard's own scripts: a cross-site form cannot set this header without a CORS preflight.
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.req.header('x-deep-reco-dashboard') !== '1')
      return c.text('Forbidden: writes must come from the dashboard page.', 403);
    await next();
  };
}

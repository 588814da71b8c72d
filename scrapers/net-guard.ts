/**
 * The address guard: one SSRF check for every outbound request the scrapers make (pages,
 * robots.txt, feeds, thumbnails, and every request Chromium makes, which is routed through it).
 *
 * A URL passes when its scheme is http(s) and every address its host stands for is public
 * unicast. Literal addresses are judged as written in any form the WHATWG URL parser accepts
 * (decimal `2130706433`, octal `0177.0.0.1`, hex `0x7f.1`, short `127.1`, IPv6 `[::]`,
 * IPv4-mapped `[::ffff:127.0.0.1]`, NAT64 …: the parser normalises them, ipaddr.js names the range).
 * Host names are resolved once, every answer is checked, and the socket connects to one of the
 * checked answers: {@link AddressGuard.lookup} is the `lookup` of the request, so there is no
 * second DNS query an attacker could answer differently (no TOCTOU).
 *
 * `SCRAPE_ALLOW_PRIVATE` is the single switch: `true` allows every range (self-hosted setups,
 * tests on 127.0.0.1), `false` only public unicast; a list of ipaddr.js range names allows those.
 *
 * @example
 * const guard = new AddressGuard({ allowPrivate: config.SCRAPE_ALLOW_PRIVATE });
 * const r = await guard.checkUrl('http://169.254.169.254/latest/meta-data/');
 * if (!r.ok) reply(r.error.message); // "refused: 169.254.169.254 is a linkLocal address"
 */
import { promises as dns } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { err, ok, RecoError, type Result } from '../core/errors.js';

/**
 * Which non-public address ranges (ipaddr.js range names: `loopback`, `private`, `linkLocal`,
 * `uniqueLocal`, `carrierGradeNat`, `unspecified`, …) may be fetched anyway. `true` allows every
 * range (SCRAPE_ALLOW_PRIVATE=true), `false` (default) only public unicast.
 */
export type AllowPrivate = boolean | readonly string[];

/** DNS resolution: every address of a host name (tests map names to addresses with their own). */
export type Resolver = (host: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (host) => dns.lookup(host, { all: true, verbatim: true });

export interface AddressVerdict {
  ok: boolean;
  /** ipaddr.js range name (`unicast`, `loopback`, `private`, `linkLocal`, …) or `invalid`. */
  range: string;
}

/** Whether `address` may be connected to under `allow`. IPv4-mapped/compatible IPv6 is judged as the IPv4 it carries. */
export function addressVerdict(address: string, allow: AllowPrivate = false): AddressVerdict {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address.replace(/^\[|\]$/g, ''));
  } catch {
    return { ok: false, range: 'invalid' };
  }
  const range = parsed.range();
  if (range === 'unicast') return { ok: true, range };
  if (allow === true) return { ok: true, range };
  if (Array.isArray(allow) && allow.includes(range)) return { ok: true, range };
  return { ok: false, range };
}

/** Why a URL was refused: `BLOCKED_ADDRESS` (scheme, address range or host name) or `NETWORK` (DNS failed). */
export type GuardReason = 'BLOCKED_ADDRESS' | 'NETWORK';

export interface GuardRefusal {
  reason: GuardReason;
  message: string;
  url: string;
  /** The refused address and its range, when an address was the reason. */
  address?: string;
  range?: string;
}

export interface CheckedUrl {
  url: URL;
  /** The checked addresses (empty for a literal address, which is `url.hostname` itself). */
  addresses: LookupAddress[];
}

export interface AddressGuardOptions {
  allowPrivate?: AllowPrivate;
  resolve?: Resolver;
}

/** Host names that always mean this machine (RFC 6761), whatever a resolver says. */
const LOCAL_NAMES = /(^|\.)localhost\.?$/i;

/** The error a refused request throws: SCRAPE_FAILED with `details.reason` BLOCKED_ADDRESS or NETWORK. */
export function refusalError(r: GuardRefusal): RecoError {
  return new RecoError('SCRAPE_FAILED', r.message, {
    details: {
      reason: r.reason,
      url: r.url,
      ...(r.address !== undefined && { address: r.address }),
      ...(r.range !== undefined && { range: r.range }),
    },
  });
}

/** One guard per process (it holds no state but counters), shared by the fetcher, thumbnails and Chromium. */
export class AddressGuard {
  readonly allowPrivate: AllowPrivate;
  private readonly resolver: Resolver;
  /** Refusals so far (for /status and tests). */
  readonly stats = { refused: 0, checked: 0 };

  constructor(options: AddressGuardOptions = {}) {
    this.allowPrivate = options.allowPrivate ?? false;
    this.resolver = options.resolve ?? systemResolver;
  }

  /** The verdict for one address under this guard's switch. */
  verdict(address: string): AddressVerdict {
    return addressVerdict(address, this.allowPrivate);
  }

  /**
   * Checks a URL before anything is sent: scheme, literal address, and (for host names) every
   * DNS answer. A passing result is not a licence to connect with another lookup: requests must
   * use {@link lookup}, which checks again the answers it connects to.
   */
  async checkUrl(input: string | URL): Promise<Result<CheckedUrl, GuardRefusal>> {
    this.stats.checked++;
    let url: URL;
    try {
      url = typeof input === 'string' ? new URL(input) : input;
    } catch {
      return this.refuse({
        reason: 'BLOCKED_ADDRESS',
        message: `not a URL: ${JSON.stringify(String(input))}`,
        url: String(input),
      });
    }
    const syntax = this.checkSyntax(url);
    if (syntax) return this.refuse(syntax);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) return ok({ url, addresses: [] });
    let addresses: LookupAddress[];
    try {
      addresses = await this.resolver(host);
    } catch (e) {
      return err({
        reason: 'NETWORK',
        message: `DNS lookup failed for ${host}: ${e instanceof Error ? e.message : String(e)}`,
        url: url.href,
      });
    }
    if (addresses.length === 0) return err({ reason: 'NETWORK', message: `no address for ${host}`, url: url.href });
    for (const a of addresses) {
      const v = this.verdict(a.address);
      if (!v.ok) return this.refuse(this.addressRefusal(url.href, a.address, v.range, host));
    }
    return ok({ url, addresses });
  }

  /**
   * The checks that need no DNS: http(s) scheme, a literal address's range, `localhost` names.
   * Requests call it for every hop before connecting (Node connects to literal addresses without a lookup).
   */
  checkSyntax(url: URL): GuardRefusal | undefined {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return { reason: 'BLOCKED_ADDRESS', message: `scheme ${url.protocol} refused: ${url.href}`, url: url.href };
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) {
      const v = this.verdict(host);
      return v.ok ? undefined : this.addressRefusal(url.href, host, v.range);
    }
    return this.localName(url.href, host);
  }

  /**
   * A `lookup` for `http.request` / `https.request` / `net.connect`: resolves with this guard's
   * resolver, refuses when any answer is not allowed (the error carries `refusal`), and hands the
   * checked answers to the socket, which connects to one of them.
   */
  readonly lookup = (
    hostname: string,
    options: { all?: boolean } | number | undefined,
    callback: (err: NodeJS.ErrnoException | null, address?: string | LookupAddress[], family?: number) => void,
  ): void => {
    const all = typeof options === 'object' && options !== null && options.all === true;
    const host = hostname.replace(/^\[|\]$/g, '');
    const fail = (r: GuardRefusal) => {
      this.stats.refused++;
      callback(Object.assign(new Error(r.message), { code: 'EADDRNOTAVAIL', refusal: r }));
    };
    if (isIP(host)) {
      const v = this.verdict(host);
      if (!v.ok) return fail(this.addressRefusal(host, host, v.range));
      const family = isIP(host);
      return all ? callback(null, [{ address: host, family }]) : callback(null, host, family);
    }
    const local = this.localName(hostname, host);
    if (local) return fail(local);
    this.resolver(host).then(
      (addrs) => {
        if (addrs.length === 0)
          return callback(Object.assign(new Error(`no address for ${host}`), { code: 'ENOTFOUND' }));
        for (const a of addrs) {
          const v = this.verdict(a.address);
          if (!v.ok) return fail(this.addressRefusal(host, a.address, v.range, host));
        }
        if (all) callback(null, addrs);
        else callback(null, addrs[0]!.address, addrs[0]!.family);
      },
      (e: unknown) => callback(e as NodeJS.ErrnoException),
    );
  };

  private localName(url: string, host: string): GuardRefusal | undefined {
    if (!LOCAL_NAMES.test(host) || this.verdict('127.0.0.1').ok) return undefined;
    return {
      reason: 'BLOCKED_ADDRESS',
      message: `refused: ${host} is this machine (loopback)`,
      url,
      range: 'loopback',
    };
  }

  private addressRefusal(url: string, address: string, range: string, host?: string): GuardRefusal {
    const what = host && host !== address ? `${host} resolves to ${address}` : `refused to connect to ${address}`;
    return {
      reason: 'BLOCKED_ADDRESS',
      message: `${host && host !== address ? 'refused: ' : ''}${what} (${range} address; SCRAPE_ALLOW_PRIVATE is off)`,
      url,
      address,
      range,
    };
  }

  private refuse(r: GuardRefusal): Result<never, GuardRefusal> {
    this.stats.refused++;
    return err(r);
  }
}

/** The refusal a failed `lookup` carried, if the error came from the guard. */
export function refusalOf(e: unknown): GuardRefusal | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && cur; depth++) {
    if (typeof cur === 'object' && cur !== null && 'refusal' in cur) return (cur as { refusal: GuardRefusal }).refusal;
    cur = typeof cur === 'object' && cur !== null && 'cause' in cur ? (cur as { cause: unknown }).cause : undefined;
  }
  return undefined;
}

/**
 * One-shot check for callers outside the scraper (a future `/subscribe <url>` command): is this URL
 * something the bot may fetch? Same rules as every scraper request.
 * @example const r = await checkUrl(userUrl, { allowPrivate: config.SCRAPE_ALLOW_PRIVATE });
 */
export function checkUrl(url: string, options: AddressGuardOptions = {}): Promise<Result<CheckedUrl, GuardRefusal>> {
  return new AddressGuard(options).checkUrl(url);
}

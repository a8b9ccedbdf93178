/**
 * Where the platform may send notifications (SendNotification, webhooks): only to URLs that an administrator put on
 * the organisation's allowlist, never following redirects, and never to an internal address unless the list names
 * that address itself.
 *
 * - An allowlist entry is a URL prefix `http(s)://host[:port][/path]`. A URL matches it when scheme, host and port
 *   are the same and the URL's path starts with the entry's path at a `/` boundary (`https://a.example/hooks`
 *   matches `https://a.example/hooks/x`, not `https://a.example/hooksX` nor `https://a.example.evil.net/`).
 * - Internal addresses — loopback, private (RFC 1918, IPv6 unique-local), link-local, CGNAT, unspecified,
 *   multicast and broadcast, also as IPv4-mapped IPv6 — are reachable only through an entry whose host is the
 *   address itself (or `localhost`): a public name that resolves to an internal address is refused, at submission
 *   and again at every delivery, which connects to the very address it checked (no second lookup to rebind).
 * - Redirects are answers, not instructions: a 3xx counts as a failed delivery.
 */
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ErrorCode, MeterfabricError } from '../errors.ts';

const invalid = (message: string) => new MeterfabricError(ErrorCode.VALIDATION_ERROR, message, { component: 'DOMAIN_CORE', retryable: false });

/** Parses a notification target or allowlist entry: absolute http(s), a host, no user name or password. */
export function parseHttpUrl(text: string, what = 'URL'): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw invalid(`${what} must be an absolute http:// or https:// URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid(`${what} must start with http:// or https://`);
  if (!u.hostname) throw invalid(`${what} must name a host`);
  if (u.username || u.password) throw invalid(`${what} must not carry a user name or password`);
  return u;
}

/** The canonical form of an allowlist entry: scheme://host[:port]/path, no query or fragment. */
export function normaliseUrlPrefix(prefix: string): string {
  const u = parseHttpUrl(prefix.trim(), 'An allowed URL prefix');
  if (u.search || u.hash) throw invalid('An allowed URL prefix must not carry a query or fragment');
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** Entries normalised, without duplicates, in order; empty and null values are dropped. */
export function normaliseAllowList(entries: ReadonlyArray<string | null | undefined>): string[] {
  return [...new Set(entries.filter((e): e is string => typeof e === 'string' && e !== '').map(normaliseUrlPrefix))].sort();
}

/** The allowlist entry that covers the URL, or undefined. */
export function matchingPrefix(url: URL, allowed: readonly string[]): string | undefined {
  for (const entry of allowed) {
    let p: URL;
    try {
      p = new URL(entry);
    } catch {
      continue;
    }
    if (p.protocol !== url.protocol || p.hostname !== url.hostname || p.port !== url.port) continue;
    const path = p.pathname;
    if (url.pathname === path || (path.endsWith('/') ? url.pathname.startsWith(path) : url.pathname.startsWith(`${path}/`))) return entry;
  }
  return undefined;
}

const internal = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) internal.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['64:ff9b:1::', 48],
] as const) internal.addSubnet(net, bits, 'ipv6');

/** Whether an IP address is loopback, private, link-local or otherwise not a public unicast address. */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return internal.check(address, 'ipv4');
  if (family !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return internal.check(mapped[1]!, 'ipv4');
  return internal.check(address, 'ipv6');
}

/** The host as an address literal (IPv6 without brackets), or undefined for a name. */
function literalHost(u: URL): string | undefined {
  const h = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return isIP(h) ? h : undefined;
}

/** An internal address is allowed only when the URL names it literally (or as `localhost`); see the file header. */
function namesInternalExplicitly(u: URL): boolean {
  return literalHost(u) !== undefined || u.hostname === 'localhost';
}

function lookupAll(hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (e, a) => (e ? reject(e) : resolve(a))));
}

/** The addresses a target may be reached at, after the internal-address rule; throws when it is refused. */
async function permittedAddresses(u: URL, what: string): Promise<LookupAddress[]> {
  const literal = literalHost(u);
  if (literal) return [{ address: literal, family: isIP(literal) }];
  let addresses: LookupAddress[];
  try {
    addresses = await lookupAll(u.hostname);
  } catch {
    throw invalid(`${what}: the host ${u.hostname} cannot be resolved`);
  }
  if (addresses.length === 0) throw invalid(`${what}: the host ${u.hostname} cannot be resolved`);
  if (!namesInternalExplicitly(u) && addresses.some((a) => isInternalAddress(a.address))) {
    throw invalid(`${what}: the host ${u.hostname} resolves to an internal address; only an allowlist entry naming that address itself may reach it`);
  }
  return addresses;
}

/**
 * Checks a notification target for an organisation: on its allowlist, and not an internal address reached through
 * a name. `organisation` only words the message.
 */
export async function checkNotificationTarget(target: string, allowed: readonly string[], organisation: string, what = 'ResponseUrl'): Promise<URL> {
  const u = checkAllowed(target, allowed, organisation, what);
  await permittedAddresses(u, what);
  return u;
}

/** The allowlist part of checkNotificationTarget alone (no name resolution). */
export function checkAllowed(target: string, allowed: readonly string[], organisation: string, what = 'ResponseUrl'): URL {
  const u = parseHttpUrl(target, what);
  if (!matchingPrefix(u, allowed)) {
    throw invalid(`${what} is not allowed for organisation ${organisation}: it matches no URL prefix on the organisation's allowlist, which an administrator sets (meterfabric org set ${organisation} --allow-url PREFIX)`);
  }
  return u;
}

export interface PostOptions {
  headers: Record<string, string | undefined>;
  body: string;
  timeoutMs: number;
}

/**
 * POSTs once to a checked target and resolves with the HTTP status. The connection goes to an address the
 * internal-address rule allowed (checked inside the socket's own lookup); redirects are not followed.
 */
export async function postNotification(u: URL, o: PostOptions): Promise<number> {
  const addresses = await permittedAddresses(u, 'Notification target');
  const pinned: RequestOptions['lookup'] = (_host, opts, cb) => {
    const family = (opts as { family?: number }).family;
    const usable = addresses.filter((a) => !family || a.family === family);
    const list = usable.length > 0 ? usable : addresses;
    if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
    else cb(null, list[0]!.address, list[0]!.family);
  };
  return new Promise<number>((resolve, reject) => {
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      {
        method: 'POST',
        headers: { ...Object.fromEntries(Object.entries(o.headers).filter(([, v]) => v !== undefined)), 'content-length': String(Buffer.byteLength(o.body)) },
        lookup: pinned,
        timeout: o.timeoutMs,
        // The certificate is checked against the URL's host name, as without pinning.
        ...(u.protocol === 'https:' && !literalHost(u) ? { servername: u.hostname } : {}),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

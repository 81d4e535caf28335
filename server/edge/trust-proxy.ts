// Which X-Forwarded-For hops to believe. Trusting every hop lets any client
// write its own address into the header (and dodge per-address limits and
// the audit trail's source); Fastify's plain hop count trusts none at all. So:
// - true: exactly one proxy, and only when the request comes from a loopback
//   or private address (a proxy in the trust's network; internet clients
//   connecting directly have public addresses and are never believed);
// - N: N proxies in a chain, the nearest one on a loopback/private address;
// - a string: the proxies' own addresses or CIDRs, comma-separated (exact).
// X-Forwarded-For entries that are not IP addresses ("unknown", "<script>",
// "_hidden") are dropped from the chain before any of this, so neither a hop
// count nor the client's address can ever be something other than an IP.
import { BlockList, isIP, isIPv4 } from 'node:net';

const privateNets = new BlockList();
for (const [net, bits] of [['127.0.0.0', 8], ['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['169.254.0.0', 16]] as const) {
  privateNets.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [['::1', 128], ['fc00::', 7], ['fe80::', 10]] as const) privateNets.addSubnet(net, bits, 'ipv6');

export function isPrivateAddress(addr: string): boolean {
  const v4 = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  try {
    return isIPv4(v4) ? privateNets.check(v4, 'ipv4') : privateNets.check(addr, 'ipv6');
  } catch {
    return false;
  }
}

export type TrustProxySetting = boolean | number | string;

export function trustProxyOption(setting: TrustProxySetting): false | string | ((addr: string, hop: number) => boolean) {
  if (setting === false) return false;
  if (typeof setting === 'string') return setting;
  const hops = setting === true ? 1 : setting;
  return (addr, hop) => hop < hops && (hop > 0 || isPrivateAddress(addr));
}

/** An X-Forwarded-For entry as an address: a port some proxies add is removed; anything that is not an IP is null. */
function forwardedAddress(entry: string): string | null {
  const s = entry.trim();
  if (isIP(s)) return s;
  const withPort = /^(?:\[([0-9A-Fa-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):\d{1,5}$/.exec(s);
  const addr = withPort?.[1] ?? withPort?.[2];
  return addr && isIP(addr) ? addr : null;
}

/** The X-Forwarded-For addresses, client first, with every entry that is not an IP dropped; undefined when none is left. */
export function forwardedFor(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const entries = (Array.isArray(header) ? header.join(',') : header).split(',');
  const kept = entries.map(forwardedAddress).filter((a): a is string => a !== null);
  return kept.length > 0 ? kept.join(', ') : undefined;
}

/**
 * Rewrites a request's X-Forwarded-For to its IP entries only, before Fastify
 * (proxy-addr returns a junk entry as the client's address) or anyone else reads it.
 */
export function dropInvalidForwardedFor(headers: Record<string, string | string[] | undefined>): void {
  if (headers['x-forwarded-for'] === undefined) return;
  const cleaned = forwardedFor(headers['x-forwarded-for']);
  if (cleaned === undefined) delete headers['x-forwarded-for'];
  else headers['x-forwarded-for'] = cleaned;
}

/** The client's address by the same rule Fastify applies to HTTP requests, for socket.io handshakes. */
export function clientAddress(remote: string, forwardedForHeader: string | string[] | undefined, setting: TrustProxySetting): string {
  const trust = trustProxyOption(setting);
  const header = forwardedFor(forwardedForHeader);
  if (trust === false || header === undefined) return remote;
  const chain = [remote, ...header.split(', ').reverse()];
  if (typeof trust === 'string') {
    const allowed = trust.split(',').map((s) => s.trim());
    const trusted = (addr: string) => allowed.some((a) => (a.includes('/') ? inCidr(addr, a) : a === addr));
    for (let i = 0; i < chain.length - 1; i++) if (!trusted(chain[i]!)) return chain[i]!;
    return chain.at(-1)!;
  }
  for (let i = 0; i < chain.length - 1; i++) if (!trust(chain[i]!, i)) return chain[i]!;
  return chain.at(-1)!;
}

function inCidr(addr: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  const list = new BlockList();
  try {
    list.addSubnet(net!, Number(bits), isIPv4(net!) ? 'ipv4' : 'ipv6');
    return list.check(addr.startsWith('::ffff:') ? addr.slice(7) : addr, isIPv4(addr.replace(/^::ffff:/, '')) ? 'ipv4' : 'ipv6');
  } catch {
    return false;
  }
}

/** What an address is, for deciding whether a job may reach it. Only `public` is reachable by default. */
export type AddressClass = 'public' | 'loopback' | 'link_local' | 'private' | 'shared' | 'unspecified' | 'multicast' | 'reserved';

/** An IP address in its canonical text form, with its family. */
export interface IpAddress {
  family: 4 | 6;
  /** Canonical form: dotted quad for IPv4, eight lower-case hex groups joined by `:` for IPv6. */
  address: string;
  bytes: number[];
}

/** Why each class is refused, in words for an error message. */
export const ADDRESS_CLASS_WORDS: Record<Exclude<AddressClass, 'public'>, string> = {
  loopback: 'a loopback address (this machine)',
  link_local: 'a link-local address (where cloud metadata services answer)',
  private: 'a private-network address',
  shared: 'a shared (carrier-grade NAT, 100.64.0.0/10) address, used for internal services by cloud providers and VPNs',
  unspecified: 'the unspecified address (it reaches this machine)',
  multicast: 'a multicast or broadcast address',
  reserved: 'a reserved, documentation or tunnelling address',
};

const IPV4_PART = /^(0x[0-9a-f]*|[0-9]+)$/i;

/**
 * Parses an IPv4 address the way the C library's `inet_aton` and the WHATWG URL parser do: one to
 * four dot-separated parts, each decimal, octal (leading 0) or hex (0x), the last filling the
 * remaining bytes — so `2130706433`, `0x7f.1` and `017700000001` are all 127.0.0.1. Returns
 * `undefined` when the text is not numeric at all, and throws when it looks numeric but is invalid
 * (such a host is ambiguous and refused rather than guessed at).
 */
export function parseIPv4(text: string): IpAddress | undefined {
  const host = text.endsWith('.') ? text.slice(0, -1) : text;
  const parts = host.split('.');
  const lastNumeric = IPV4_PART.test(parts[parts.length - 1] ?? '');
  if (!lastNumeric) return undefined;
  if (parts.length > 4 || parts.some((p) => !IPV4_PART.test(p))) throw new Error(`"${text}" looks like an IPv4 address but is not one`);
  const values = parts.map((part) => {
    if (/^0x/i.test(part)) return part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    if (part.length > 1 && part.startsWith('0')) {
      if (!/^[0-7]+$/.test(part)) throw new Error(`"${text}" has an invalid octal part "${part}"`);
      return parseInt(part, 8);
    }
    return parseInt(part, 10);
  });
  const last = values.pop()!;
  if (values.some((v) => v > 255) || last >= 256 ** (4 - values.length)) throw new Error(`"${text}" is out of the IPv4 range`);
  const bytes = [...values];
  for (let i = 4 - values.length - 1; i >= 0; i--) bytes.push(Math.floor(last / 256 ** i) % 256);
  return { family: 4, address: bytes.join('.'), bytes };
}

/** Parses an IPv6 address (without brackets; an embedded dotted IPv4 tail allowed, zone ids refused). */
export function parseIPv6(text: string): IpAddress | undefined {
  if (!/^[0-9a-f:.]+$/i.test(text) || !text.includes(':')) return undefined;
  let head = text;
  const lastColon = text.lastIndexOf(':');
  const dotted = text.slice(lastColon + 1);
  if (dotted.includes('.')) {
    // An embedded IPv4 tail (::ffff:127.0.0.1) is two more 16-bit groups.
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(dotted)) return undefined;
    const q = dotted.split('.').map(Number);
    if (q.some((v) => v > 255)) return undefined;
    head = `${text.slice(0, lastColon + 1)}${(q[0] * 256 + q[1]).toString(16)}:${(q[2] * 256 + q[3]).toString(16)}`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  if ([...left, ...right].some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const given = left.length + right.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const words = [...left.map((g) => parseInt(g, 16)), ...Array(8 - given).fill(0), ...right.map((g) => parseInt(g, 16))];
  const bytes = words.flatMap((w) => [w >> 8, w & 255]);
  return { family: 6, address: words.map((w) => w.toString(16)).join(':'), bytes };
}

/** Parses an IP literal as a URL host may carry it: `[v6]`, a bare v6, or any IPv4 form; `undefined` for a name. */
export function parseIpLiteral(host: string): IpAddress | undefined {
  if (host.startsWith('[') && host.endsWith(']')) {
    const v6 = parseIPv6(host.slice(1, -1));
    if (!v6) throw new Error(`"${host}" is not a valid IPv6 address`);
    return v6;
  }
  return parseIPv6(host) ?? parseIPv4(host);
}

const inV4 = (b: number[], prefix: number[], bits: number): boolean => {
  for (let i = 0; i < 4; i++) {
    const take = Math.max(0, Math.min(8, bits - i * 8));
    if (take === 0) break;
    const mask = (0xff << (8 - take)) & 0xff;
    if ((b[i] & mask) !== (prefix[i] & mask)) return false;
  }
  return true;
};

function classifyV4(b: number[]): AddressClass {
  if (inV4(b, [0, 0, 0, 0], 8)) return 'unspecified';
  if (inV4(b, [127, 0, 0, 0], 8)) return 'loopback';
  if (inV4(b, [10, 0, 0, 0], 8) || inV4(b, [172, 16, 0, 0], 12) || inV4(b, [192, 168, 0, 0], 16)) return 'private';
  if (inV4(b, [169, 254, 0, 0], 16)) return 'link_local';
  if (inV4(b, [100, 64, 0, 0], 10)) return 'shared';
  if (inV4(b, [224, 0, 0, 0], 4)) return 'multicast';
  if (
    inV4(b, [240, 0, 0, 0], 4) || // reserved, and 255.255.255.255 broadcast
    inV4(b, [192, 0, 0, 0], 24) || // IETF protocol assignments
    inV4(b, [192, 0, 2, 0], 24) ||
    inV4(b, [198, 51, 100, 0], 24) ||
    inV4(b, [203, 0, 113, 0], 24) || // documentation
    inV4(b, [198, 18, 0, 0], 15) // benchmarking
  )
    return 'reserved';
  return 'public';
}

function classifyV6(b: number[]): AddressClass {
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zeros(0, 16)) return 'unspecified';
  if (zeros(0, 15) && b[15] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach the embedded IPv4 address.
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return classifyV4(b.slice(12));
  if (zeros(0, 12)) return classifyV4(b.slice(12));
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return classifyV4(b.slice(12));
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && b[4] === 0x00 && b[5] === 0x01) return 'private';
  // 6to4 (2002::/16) carries an IPv4 address in bytes 2-5.
  if (b[0] === 0x20 && b[1] === 0x02) return classifyV4(b.slice(2, 6));
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return 'link_local';
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0xc0) return 'private'; // site-local (deprecated)
  if ((b[0] & 0xfe) === 0xfc) return 'private'; // unique local fc00::/7
  if (b[0] === 0xff) return 'multicast';
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x00 && b[3] === 0x00) return 'reserved'; // Teredo
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return 'reserved'; // documentation
  if (b[0] === 0x01 && zeros(1, 8)) return 'reserved'; // discard-only 100::/64
  return 'public';
}

/** The class of an address: IPv4-mapped and other IPv6 forms that embed an IPv4 address count as that address. */
export function classifyAddress(ip: IpAddress): AddressClass {
  return ip.family === 4 ? classifyV4(ip.bytes) : classifyV6(ip.bytes);
}

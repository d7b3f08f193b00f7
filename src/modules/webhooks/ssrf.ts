// SSRF guard of webhook URLs (S16, ADR 0010). A subscription URL must be https (http only when
// WEBHOOK_ALLOW_HTTP), carry no credentials, and resolve only to public unicast addresses;
// WEBHOOK_ALLOW_NETWORKS lists CIDRs allowed anyway (tests and development: 127.0.0.1/32).
// Checked at creation (422) and again on every delivery at connect time: the undici Agent's
// `connect.lookup` classifies every address a name resolves to, and literal-IP URLs (which
// skip lookup) are checked before the request is made.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface SsrfPolicy {
  allowHttp: boolean;
  allowNetworks: string[];
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

export class UrlRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UrlRefused';
  }
}

function parseNetworks(networks: string[]): Cidr[] {
  return networks.map((n) => ipaddr.parseCIDR(n));
}

/** ipaddr.js's range names as a refusal says them (the names are identifiers: linkLocal). */
const RANGE_WORDS: Readonly<Record<string, string>> = {
  unspecified: 'an unspecified',
  broadcast: 'a broadcast',
  multicast: 'a multicast',
  linkLocal: 'a link-local',
  loopback: 'a loopback',
  carrierGradeNat: 'a carrier-grade NAT',
  private: 'a private',
  reserved: 'a reserved',
  uniqueLocal: 'a unique local',
  rfc6052: 'a NAT64 (RFC 6052)',
  rfc6145: 'an IPv4-translated (RFC 6145)',
  '6to4': 'a 6to4',
  teredo: 'a Teredo',
  benchmarking: 'a benchmarking',
  as112: 'an AS112',
  amt: 'an AMT',
  deprecated: 'a deprecated',
  orchid2: 'an ORCHIDv2',
};

/** Why an address is refused, or null when it may be reached. */
export function addressProblem(address: string, allow: Cidr[]): string | null {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.process(address); // IPv4-mapped IPv6 (::ffff:10.0.0.1) becomes IPv4
  } catch {
    return `"${address}" is not an IP address`;
  }
  for (const [net, bits] of allow) {
    if (net.kind() === ip.kind() && ip.match([net, bits] as never)) {
      return null;
    }
  }
  const range = ip.range();
  if (range === 'unicast') {
    return null;
  }
  return `${ip.toString()} is ${RANGE_WORDS[range] ?? `a non-public (${range})`} address`;
}

/** The host of a URL as an IP literal (brackets removed), or null for a name. */
function literalHost(url: URL): string | null {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return ipaddr.isValid(host) ? host : null;
}

export class SsrfGuard {
  private readonly allow: Cidr[];

  constructor(
    private readonly policy: SsrfPolicy,
    private readonly resolve: (host: string) => Promise<LookupAddress[]> = (host) =>
      new Promise((res, rej) =>
        dnsLookup(host, { all: true }, (err, addrs) => (err ? rej(err) : res(addrs))),
      ),
  ) {
    this.allow = parseNetworks(policy.allowNetworks);
  }

  /** Scheme, credentials and literal IP; throws UrlRefused. No network use. */
  checkUrlShape(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UrlRefused('URL does not parse');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.policy.allowHttp)) {
      throw new UrlRefused(
        this.policy.allowHttp ? 'URL must use http or https' : 'URL must use https',
      );
    }
    if (url.username !== '' || url.password !== '') {
      throw new UrlRefused('URL must not carry credentials');
    }
    const literal = literalHost(url);
    if (literal !== null) {
      const problem = addressProblem(literal, this.allow);
      if (problem !== null) {
        throw new UrlRefused(`URL is not allowed: ${problem}`);
      }
    }
    return url;
  }

  /** The shape check, then every address the name resolves to (creation, update). */
  async checkUrl(raw: string): Promise<URL> {
    const url = this.checkUrlShape(raw);
    if (literalHost(url) === null) {
      let addrs: LookupAddress[];
      try {
        addrs = await this.resolve(url.hostname);
      } catch {
        throw new UrlRefused(`URL host "${url.hostname}" does not resolve`);
      }
      this.checkAddresses(url.hostname, addrs);
    }
    return url;
  }

  private checkAddresses(host: string, addrs: LookupAddress[]): void {
    if (addrs.length === 0) {
      throw new UrlRefused(`URL host "${host}" does not resolve`);
    }
    for (const a of addrs) {
      const problem = addressProblem(a.address, this.allow);
      if (problem !== null) {
        throw new UrlRefused(`URL is not allowed: ${host} resolves to ${problem}`);
      }
    }
  }

  /** A `lookup` for net/tls.connect that refuses names resolving to a forbidden address. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (addrs) => {
        try {
          this.checkAddresses(hostname, addrs);
        } catch (err) {
          callback(err as NodeJS.ErrnoException, '', 0);
          return;
        }
        const wanted = addrs.filter((a) => !options.family || a.family === options.family);
        if (options.all === true) {
          (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, wanted);
        } else {
          const first = wanted[0] ?? addrs[0]!;
          callback(null, first.address, first.family);
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

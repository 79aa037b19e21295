/**
 * Where http targets may send requests (the SSRF guard): the hosts of the
 * allow-list, if there is one, and never an address the address guard
 * refuses (see ./address-guard.ts). A URL's host is judged when a job is
 * defined, when an attempt starts and at every redirect; a name is judged
 * again by what it resolves to, when a connection is opened.
 */
import type { LookupFunction } from 'node:net';
import { ChimeError } from '../../errors.js';
import { checkHost, guardedLookup, type AddressPolicy } from './address-guard.js';

/** What decides the destinations of http targets. */
export interface DestinationOptions {
  /** Hosts http targets may name (hostnames or `*.domain`); any when absent. */
  allowHosts?: string[] | undefined;
  /** Allow link-local addresses and cloud-metadata endpoints. @defaultValue false */
  allowLinkLocal?: boolean | undefined;
  /** Refuse loopback and private addresses too. @defaultValue false */
  denyPrivate?: boolean | undefined;
  /** The DNS lookup whose answers are judged. @defaultValue `dns.lookup` */
  lookup?: LookupFunction | undefined;
}

/** The destinations http targets may call. */
export interface Destinations {
  /**
   * Refuses a URL's host (as the URL spells it) outside the allow-list, or
   * refused by the address guard.
   * @throws ChimeError at `path`: `CHIME_ERR_INVALID_INPUT` outside the
   * allow-list, `CHIME_ERR_TARGET_ADDRESS_BLOCKED` for a refused address.
   */
  check(hostname: string, path?: string): void;
  /** The lookup connections use: it refuses names that resolve to a refused address. */
  readonly lookup: LookupFunction;
}

/**
 * The destinations of http targets under `options`.
 * @throws ChimeError `CHIME_ERR_OPTION_INVALID` at `/allowHosts/<i>` for an allow-list entry that is no hostname.
 */
export function destinations(options: DestinationOptions = {}): Destinations {
  const allowed = hostMatcher(options.allowHosts);
  const policy: AddressPolicy = {
    allowLinkLocal: options.allowLinkLocal ?? false,
    denyPrivate: options.denyPrivate ?? false,
  };
  return {
    check(hostname, path) {
      if (!allowed(hostname)) {
        throw new ChimeError(
          'CHIME_ERR_INVALID_INPUT',
          `host "${hostname}" is not in the allowed hosts of http targets`,
          path === undefined ? {} : { path },
        );
      }
      checkHost(hostname, policy, path);
    },
    lookup: guardedLookup(policy, options.lookup),
  };
}

/**
 * A predicate for `allowHosts`: exact hostnames, or `*.domain` for any
 * subdomain. Hostnames are compared as URLs normalize them (lower case,
 * punycode, IPv6 without brackets).
 * @throws ChimeError `CHIME_ERR_OPTION_INVALID` at `/allowHosts/<i>` for a pattern that is no hostname.
 */
function hostMatcher(patterns: string[] | undefined): (hostname: string) => boolean {
  if (patterns === undefined) return () => true;
  const exact = new Set<string>();
  const suffixes: string[] = [];
  patterns.forEach((pattern, i) => {
    const wildcard = typeof pattern === 'string' && pattern.startsWith('*.');
    const host = normalizeHost(wildcard ? pattern.slice(2) : pattern);
    if (host === undefined) {
      throw new ChimeError(
        'CHIME_ERR_OPTION_INVALID',
        `allowHosts entry ${JSON.stringify(pattern)} is neither a hostname nor "*.domain"`,
        { path: `/allowHosts/${i}` },
      );
    }
    if (wildcard) suffixes.push(`.${host}`);
    else exact.add(host);
  });
  return (hostname) => {
    const host = normalizeHost(hostname);
    return host !== undefined && (exact.has(host) || suffixes.some((s) => host.endsWith(s)));
  };
}

function normalizeHost(text: unknown): string | undefined {
  if (typeof text !== 'string' || text === '' || /[/?#@\s]/.test(text)) return undefined;
  const bare = text.replace(/^\[(.*)\]$/, '$1');
  try {
    const host = new URL(`http://${bare.includes(':') ? `[${bare}]` : bare}`).hostname;
    return host.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

/**
 * The addresses http targets may not reach unless told otherwise.
 *
 * Refused by default: link-local addresses (169.254.0.0/16, fe80::/10) and
 * the cloud-metadata endpoints (169.254.169.254, fd00:ec2::254,
 * 100.100.100.200, `metadata.google.internal`, `metadata.goog`), which hand
 * out a host's cloud credentials to whoever asks; `allowLinkLocal` allows
 * them. With `denyPrivate`, loopback (127.0.0.0/8, 0.0.0.0/8, ::1, ::) and
 * private addresses (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16,
 * 100.64.0.0/10, fc00::/7, fec0::/10) are refused too. Every IPv4 rule also
 * matches the IPv4-mapped IPv6 form of its addresses (::ffff:169.254.169.254).
 */
import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { ChimeError } from '../../errors.js';

/** How the address guard departs from its defaults. */
export interface AddressPolicy {
  /** Allow link-local addresses and cloud-metadata endpoints. */
  readonly allowLinkLocal: boolean;
  /** Refuse loopback and private addresses too. */
  readonly denyPrivate: boolean;
}

/** Host names of cloud-metadata services (Google Cloud's). */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog']);

function blockList(subnets: string[]): BlockList {
  const list = new BlockList();
  for (const subnet of subnets) {
    const [address = '', prefix] = subnet.split('/');
    list.addSubnet(address, Number(prefix), isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** One kind of refused address: the addresses, why they are refused, and when. */
interface Rule {
  readonly addresses: BlockList;
  readonly why: string;
  readonly refused: (policy: AddressPolicy) => boolean;
}

const UNLESS_ALLOWED = 'refused unless httpAllowLinkLocal (--http-allow-link-local) is set';
const WHEN_DENIED = 'refused because httpDenyPrivate (--http-deny-private) is set';
const unlessAllowed = (policy: AddressPolicy) => !policy.allowLinkLocal;
const whenDenied = (policy: AddressPolicy) => policy.denyPrivate;

const RULES: readonly Rule[] = [
  {
    addresses: blockList(['169.254.169.254/32', '100.100.100.200/32', 'fd00:ec2::254/128']),
    why: `a cloud-metadata endpoint, ${UNLESS_ALLOWED}`,
    refused: unlessAllowed,
  },
  {
    addresses: blockList(['169.254.0.0/16', 'fe80::/10']),
    why: `a link-local address, ${UNLESS_ALLOWED}`,
    refused: unlessAllowed,
  },
  {
    addresses: blockList(['127.0.0.0/8', '0.0.0.0/8', '::1/128', '::/128']),
    why: `a loopback address, ${WHEN_DENIED}`,
    refused: whenDenied,
  },
  {
    addresses: blockList([
      '10.0.0.0/8',
      '172.16.0.0/12',
      '192.168.0.0/16',
      '100.64.0.0/10',
      'fc00::/7',
      'fec0::/10',
    ]),
    why: `a private address, ${WHEN_DENIED}`,
    refused: whenDenied,
  },
];

/**
 * Why `address` (an IPv4 or IPv6 address, brackets and zone allowed) may not
 * be connected to, such as "a link-local address, refused unless …";
 * undefined when it may.
 */
export function addressRefusal(address: string, policy: AddressPolicy): string | undefined {
  const bare = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return undefined;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  return RULES.find((rule) => rule.refused(policy) && rule.addresses.check(bare, type))?.why;
}

/**
 * Refuses a URL's host that can be judged from the host alone: an address
 * literal, or the name of a cloud-metadata service. Other names are judged
 * when they resolve (see {@link guardedLookup}).
 * @throws ChimeError `CHIME_ERR_TARGET_ADDRESS_BLOCKED` at `path` when refused.
 */
export function checkHost(hostname: string, policy: AddressPolicy, path?: string): void {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  const why =
    METADATA_NAMES.has(name) && !policy.allowLinkLocal
      ? `a cloud-metadata endpoint, ${UNLESS_ALLOWED}`
      : addressRefusal(name, policy);
  if (why === undefined) return;
  throw new ChimeError(
    'CHIME_ERR_TARGET_ADDRESS_BLOCKED',
    `http targets may not call host "${hostname}": it is ${why}`,
    path === undefined ? {} : { path },
  );
}

/**
 * A `lookup` for `net.connect`: resolves a name with `resolve`, and fails
 * with `CHIME_ERR_TARGET_ADDRESS_BLOCKED` when any address it resolves to is
 * refused. The socket connects to the addresses this lookup returned, so the
 * address checked is the address connected to (no second resolution).
 */
export function guardedLookup(
  policy: AddressPolicy,
  resolve: LookupFunction = dnsLookup as LookupFunction,
): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, options, (err, address, family) => {
      if (err) return callback(err, address, family);
      const addresses = typeof address === 'string' ? [address] : address.map((a) => a.address);
      for (const ip of addresses) {
        const why = addressRefusal(ip, policy);
        if (why === undefined) continue;
        const message = `http targets may not call "${hostname}": it resolves to ${ip}, ${why}`;
        return callback(new ChimeError('CHIME_ERR_TARGET_ADDRESS_BLOCKED', message), '', 0);
      }
      callback(null, address, family);
    });
  };
}

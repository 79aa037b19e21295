/**
 * The NATS store's options from a URL, as `--database-url` gives them:
 * `nats://[user:password@]host[:port][,host2[:port]…][?prefix=…&replicas=…&creds=…&tls-ca=…]`
 * (`tls://` requires TLS). Query parameters: `prefix` and `replicas` (the
 * store's options), `creds` (a `.creds` file path), `tls-ca` (a CA file path).
 */
import { ChimeError } from '../../errors.js';
import type { NatsStoreOptions } from './connection.js';

const NATS_URL = /^(nats|tls):\/\/(?:([^@/?]*)@)?([^/?]+)\/?(?:\?(.*))?$/i;
const PARAMETERS = ['prefix', 'replicas', 'creds', 'tls-ca'] as const;

/** True when a URL names NATS servers. */
export function isNatsUrl(url: string): boolean {
  return /^(nats|tls):\/\//i.test(url);
}

/**
 * The store options a NATS URL says.
 * @throws ChimeError `CHIME_ERR_CONFIG_INVALID` for a URL that does not parse or an unknown parameter
 */
export function natsOptionsFromUrl(url: string): NatsStoreOptions {
  const invalid = (why: string) =>
    new ChimeError(
      'CHIME_ERR_CONFIG_INVALID',
      `option --database-url (CHIME_DATABASE_URL): ${why}`,
      {
        path: '/database-url',
      },
    );
  const match = NATS_URL.exec(url);
  if (!match) throw invalid('a NATS URL is nats://host[:port][,host2[:port]…][?prefix=…]');
  const [, scheme = 'nats', userinfo, hosts = '', query = ''] = match;
  const servers = hosts.split(',').map((host) => `${scheme.toLowerCase()}://${host}`);
  const options: NatsStoreOptions = { servers };
  if (userinfo !== undefined && userinfo !== '') {
    // A bare token would show in `chime config` (only a password is redacted): refused.
    const at = userinfo.indexOf(':');
    if (at < 0) throw invalid('a NATS URL carries user:password@, or a creds= file');
    options.user = decodeURIComponent(userinfo.slice(0, at));
    options.pass = decodeURIComponent(userinfo.slice(at + 1));
  }
  for (const [name, value] of new URLSearchParams(query)) {
    if (!(PARAMETERS as readonly string[]).includes(name))
      throw invalid(`a NATS URL takes the parameters ${PARAMETERS.join(', ')}, not "${name}"`);
    if (name === 'prefix') options.prefix = value;
    if (name === 'replicas') options.replicas = Number(value);
    if (name === 'creds') options.credentialsFile = value;
    if (name === 'tls-ca') options.tlsCaFile = value;
  }
  return options;
}

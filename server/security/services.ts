import type { ServerConfig } from '../config';
import { createConnectionLimits, type ConnectionBound, type ConnectionLimits } from './connection-limits';
import type { NonceStore } from './nonce-store';
import type { RateLimits } from './rate-limits';

/** The state the security checks keep, one set per server (ServerContext.security). */
export interface SecurityServices {
  nonces: NonceStore;
  rates: RateLimits;
  connections: ConnectionLimits;
}

export interface SecurityOptions {
  config: ServerConfig;
  /** Where nonces and rate counts live: chosen with every other backend (server/backends.ts). */
  stores: Pick<SecurityServices, 'nonces' | 'rates'>;
  /** Told when a connection cap refuses a handshake (im_bound_hits_total). */
  onRefuse?: (bound: ConnectionBound, source: string) => void;
}

/** The security services over the chosen stores; connection caps always count on this instance (a socket lives on one). */
export function createSecurityServices({ config, stores, onRefuse }: SecurityOptions): SecurityServices {
  const connections = createConnectionLimits({
    maxPerIp: config.limits.maxConnectionsPerIp,
    maxPerUser: config.limits.maxConnectionsPerUser,
    maxHookPerIp: config.limits.maxHookConnectionsPerIp,
    maxHookPerSource: config.limits.maxHookConnectionsPerSource,
    onRefuse,
  });
  return { nonces: stores.nonces, rates: stores.rates, connections };
}

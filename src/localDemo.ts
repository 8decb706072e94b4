import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { IvsTarget } from './config.js';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');
loopback.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** True when a listener on `host` accepts connections from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const address = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (address.toLowerCase() === 'localhost') return true;
  if (isIPv4(address)) return loopback.check(address, 'ipv4');
  if (isIPv6(address)) return loopback.check(address, 'ipv6');
  // A name could resolve to any interface: only `localhost` is trusted to stay on this machine.
  return false;
}

/**
 * The local demo: a gateway only this machine can reach, serving the built-in emulator's demo data.
 * Only there are anonymous callers, introspection, the Sandbox and stack traces on without being asked
 * for; a gateway reachable from elsewhere, or in front of real data, fails closed.
 */
export function isLocalDemo(host: string, ivsTarget: IvsTarget): boolean {
  return isLoopbackHost(host) && ivsTarget.kind === 'embedded-emulator';
}

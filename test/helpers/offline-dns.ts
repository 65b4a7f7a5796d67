/**
 * Keep a test process off the network: every host name lookup fails as it does offline
 * (ENOTFOUND); IP literals (127.0.0.1:1, a closed port) still connect. Imported by in-process
 * drivers, and preloaded into real CLI processes with NODE_OPTIONS=--import (OFFLINE_DNS_SOURCE).
 */
export const OFFLINE_DNS_SOURCE = `
import dns from 'node:dns';
const fail = (host) => Object.assign(new Error('getaddrinfo ENOTFOUND ' + host), { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname: host });
dns.lookup = (host, opts, cb) => process.nextTick(typeof opts === 'function' ? opts : cb, fail(host));
dns.promises.lookup = async (host) => { throw fail(host); };
`;

export async function goOffline(): Promise<void> {
  await import(`data:text/javascript,${encodeURIComponent(OFFLINE_DNS_SOURCE)}`);
}

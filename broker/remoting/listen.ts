import type net from 'node:net';

/**
 * Starts `server` listening on host:port (port 0: a free one) and resolves with the port it got; a
 * bind error (EADDRINUSE, EACCES) rejects instead of being thrown at the process. Every listener of
 * the project binds through here: the remoting and HA servers, the fault proxies, the dashboard.
 */
export function listenOn(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** A host port nobody listens on now (the kernel picks it), for Docker's HostPort "" or "0". */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

export function freePort(protocol: 'tcp' | 'udp', host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    if (protocol === 'udp') {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind(0, host, () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
      return;
    }
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

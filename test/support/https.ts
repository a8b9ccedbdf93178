/** A request over HTTPS with a client certificate (or none), for tests of mutual TLS. */
import { request as httpsRequest } from 'node:https';

export interface ClientTls {
  ca: string;
  key?: string;
  cert?: string;
}

export function httpsCall(port: number, method: string, path: string, tls: ClientTls, body = '', headers: Record<string, string> = {}, servername?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, method, ca: tls.ca, key: tls.key, cert: tls.cert, headers, agent: false, ...(servername ? { servername } : {}) }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

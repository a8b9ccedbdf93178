/**
 * The CLI's client for the REST admin API of a running platform (`--url`, default http://127.0.0.1:8080), so
 * admin commands work while the server holds the embedded database. For mutual TLS it presents the key and
 * certificate named by --cert/--key (or METERFABRIC_CERT/METERFABRIC_KEY) and trusts --ca (METERFABRIC_CA).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { MeterfabricError } from '../errors.ts';

export interface ClientOptions {
  url: string;
  cert?: string;
  key?: string;
  ca?: string;
  org?: string;
}

export function addClientOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'REST admin API of the running platform', process.env.METERFABRIC_URL ?? 'http://127.0.0.1:8080')
    .option('--cert <file>', 'client certificate (PEM) for mutual TLS', process.env.METERFABRIC_CERT)
    .option('--key <file>', 'client private key (PEM) for mutual TLS', process.env.METERFABRIC_KEY)
    .option('--ca <file>', 'CA certificate (PEM) to trust for the server', process.env.METERFABRIC_CA)
    .option('--org <id>', 'act as this organisation (must match the certificate CN)');
}

export async function adminCall<T = any>(o: ClientOptions, method: string, path: string, body?: unknown): Promise<T> {
  const target = new URL('/api/v1/admin' + path, o.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (o.org) headers['x-organisation-identification'] = o.org;
  const tls = target.protocol === 'https:'
    ? { ...(o.cert ? { cert: readFileSync(o.cert) } : {}), ...(o.key ? { key: readFileSync(o.key) } : {}), ...(o.ca ? { ca: readFileSync(o.ca) } : {}) }
    : {};
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, { method, headers, ...tls }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: data }));
    });
    req.on('error', (e) => reject(new Error(`cannot reach ${o.url}: ${e.message} (is \`meterfabric serve\` running?)`)));
    req.end(payload);
  });
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    throw new Error(`unexpected answer from ${o.url} (HTTP ${status})`);
  }
  if (status >= 400) {
    if (json && typeof json.code === 'number') throw new MeterfabricError(json.code, json.message ?? 'error', { component: json.component ?? 'SHARED' });
    throw new Error(`HTTP ${status}`);
  }
  return json as T;
}

/** Prints rows as an aligned text table. */
export function printTable(rows: Array<Record<string, unknown>>, columns: string[]): void {
  const cells = rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '' : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(columns));
  for (const row of cells) console.log(line(row));
}

/**
 * The CLI's client for the REST admin API of a running platform (`--url`, default http://127.0.0.1:8080), so
 * admin commands work while the server holds the embedded database. It authenticates with, in this order: the
 * API token of --token (or METERFABRIC_TOKEN); the client certificate of --cert/--key (METERFABRIC_CERT/
 * METERFABRIC_KEY) of an ADMIN organisation; the admin token in the data folder (`--data`, default ./data, the same
 * default as `meterfabric serve`), readable only by whoever may read that folder. --ca (METERFABRIC_CA) is the CA
 * to trust for the server.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import { readTokenFile } from '../platform/tokens.ts';

export interface ClientOptions {
  url: string;
  cert?: string;
  key?: string;
  ca?: string;
  org?: string;
  token?: string;
  data?: string;
}

export function addClientOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'REST admin API of the running platform', process.env.METERFABRIC_URL ?? 'http://127.0.0.1:8080')
    .option('--cert <file>', 'client certificate (PEM) for mutual TLS', process.env.METERFABRIC_CERT)
    .option('--key <file>', 'client private key (PEM) for mutual TLS', process.env.METERFABRIC_KEY)
    .option('--ca <file>', 'CA certificate (PEM) to trust for the server', process.env.METERFABRIC_CA)
    .option('--org <id>', 'the organisation the credentials belong to (sent as X-Organisation-Identification; must match)')
    .option('--token <token>', 'API token of an ADMIN organisation (default METERFABRIC_TOKEN, else DATA/admin.token)', process.env.METERFABRIC_TOKEN)
    .option('--data <dir>', 'data folder of the platform, whose admin.token is used when no other credentials are given', './data');
}

/** The bearer token a command sends, or undefined when it authenticates with its client certificate. */
export function tokenFor(o: ClientOptions): string | undefined {
  if (o.token) return o.token;
  if (o.cert && o.key) return undefined;
  const path = join(resolve(o.data ?? './data'), 'admin.token');
  const token = readTokenFile(path);
  if (!token) {
    throw new MeterfabricError(ErrorCode.AUTHENTICATION_REQUIRED, `no credentials: give --token (or METERFABRIC_TOKEN), --cert/--key, or --data DIR of the platform (cannot read ${path})`, { component: 'SHARED' });
  }
  return token;
}

export async function adminCall<T = any>(o: ClientOptions, method: string, path: string, body?: unknown): Promise<T> {
  return apiCall<T>(o, method, '/api/v1/admin' + path, body);
}

/** A call of any route of the platform (path from the root, e.g. /api/v1/devices/…); errors carry `httpStatus`. */
export async function apiCall<T = any>(o: ClientOptions, method: string, path: string, body?: unknown): Promise<T> {
  const target = new URL(path, o.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { accept: 'application/json' };
  // State-changing requests always say application/json, with or without a body (the server refuses them otherwise).
  if (payload !== undefined || method !== 'GET') headers['content-type'] = 'application/json';
  if (o.org) headers['x-organisation-identification'] = o.org;
  const token = tokenFor(o);
  if (token) headers.authorization = `Bearer ${token}`;
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
    if (json && typeof json.code === 'number') throw Object.assign(new MeterfabricError(json.code, json.message ?? 'error', { component: json.component ?? 'SHARED' }), { httpStatus: status });
    throw Object.assign(new Error(`HTTP ${status}`), { httpStatus: status });
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

/**
 * `meterfabric key …`: key statuses, the key audit trail and bulk import of key shipments, through the REST
 * admin API of a running platform. Never prints key bytes: the API has none to give.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { publicEncrypt, constants } from 'node:crypto';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { addClientOptions, adminCall, printTable, type ClientOptions } from '../admin-client.ts';
import { registerKeyRotate } from './bulk.ts';

/** Splits a shipment into parts of at most `rows` data rows (CSV keeps its header line in every part). */
export function splitShipment(text: string, format: 'csv' | 'json', rows: number): string[] {
  if (format === 'json') {
    let doc: { keys?: unknown[] } & Record<string, unknown>;
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch {
      // JSON.parse's message quotes the text around the error, which may be key material.
      throw new Error('the shipment is not valid JSON');
    }
    const keys = Array.isArray(doc.keys) ? doc.keys : [];
    const parts: string[] = [];
    for (let i = 0; i < keys.length; i += rows) parts.push(JSON.stringify({ ...doc, keys: keys.slice(i, i + rows) }));
    return parts.length ? parts : [text];
  }
  const lines = text.split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() && !l.trimStart().startsWith('#'));
  const head = lines.slice(0, headerIndex + 1);
  const body = lines.slice(headerIndex + 1).filter((l) => l.trim() && !l.trimStart().startsWith('#'));
  const parts: string[] = [];
  for (let i = 0; i < body.length; i += rows) parts.push([...head, ...body.slice(i, i + rows)].join('\n') + '\n');
  return parts.length ? parts : [text];
}

/** A meter key (master, encryption, authentication, M-Bus default or user key) is AES-128: 32 hex digits. */
export function checkKeyHex(hex: string): void {
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) {
    throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `a key is 16 bytes, 32 hex digits; got ${/^[0-9a-fA-F]*$/.test(hex) ? `${hex.length} hex digits` : 'other characters than hex digits'}`, { component: 'SHARED' });
  }
}

export function register(program: Command): void {
  const key = program.command('key').description('key statuses, audit and shipment import (metadata only; talks to a running platform)');
  registerKeyRotate(key);

  addClientOptions(key.command('list <deviceIdentification>'))
    .description('the keys of a device: type, status, version, when sent/activated (never the key)')
    .action(async (id: string, o: ClientOptions) => {
      const r = await adminCall<{ keys: Record<string, unknown>[] }>(o, 'GET', `/keys/${encodeURIComponent(id)}`);
      // No keys: an unknown device is an error (the device look-up throws it), a known one prints an empty table.
      if (r.keys.length === 0) await adminCall(o, 'GET', `/devices/${encodeURIComponent(id)}`);
      printTable(r.keys.map((k) => ({ type: k.type, status: k.status, version: k.secretId, origin: k.origin, sent: k.sent ? 'yes' : '', created: k.createdAt, activated: k.activatedAt ?? '' })), ['type', 'status', 'version', 'origin', 'sent', 'created', 'activated']);
    });

  addClientOptions(key.command('audit'))
    .description('the append-only key audit trail (who changed which key status, and why)')
    .option('--device <id>', 'only this device')
    .option('--limit <n>', 'most rows', '100')
    .action(async (o: ClientOptions & { device?: string; limit: string }) => {
      const q = new URLSearchParams({ limit: o.limit, ...(o.device ? { device: o.device } : {}) });
      const r = await adminCall<{ audit: Record<string, unknown>[] }>(o, 'GET', `/keys?${q}`);
      printTable(r.audit.map((a) => ({ at: a.at, device: a.deviceId, type: a.type, version: a.secretId, action: a.action, from: a.fromStatus ?? '', to: a.toStatus ?? '', actor: a.actor, reason: a.reason })), ['at', 'device', 'type', 'version', 'action', 'from', 'to', 'actor', 'reason']);
    });

  key
    .command('encrypt <hex>')
    .description("encrypt a key for AddDevice the way GXF clients do: RSA-OAEP (SHA-1) to the platform's published public key; prints hex")
    .option('--url <url>', 'the running platform', process.env.METERFABRIC_URL ?? 'http://127.0.0.1:8080')
    .action(async (hex: string, o: { url: string }) => {
      checkKeyHex(hex);
      const res = await fetch(new URL('/api/v1/platform/public-key', o.url));
      if (!res.ok) throw new Error(`cannot read the platform public key from ${o.url} (HTTP ${res.status})`);
      const pem = await res.text();
      console.log(publicEncrypt({ key: pem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(hex, 'hex')).toString('hex'));
    });

  addClientOptions(key.command('import <file>'))
    .description('import a manufacturer key shipment (CSV or JSON, README "Key shipments") in parts, with progress')
    .option('--format <csv|json>', 'default: by file extension')
    .option('--batch <rows>', 'rows per request', '1000')
    .option('--reason <text>', 'recorded in the key audit trail')
    .action(async (file: string, o: ClientOptions & { format?: 'csv' | 'json'; batch: string; reason?: string }) => {
      const format = o.format ?? (file.endsWith('.json') ? 'json' : 'csv');
      const parts = splitShipment(readFileSync(file, 'utf8'), format, Math.max(1, Number(o.batch) || 1000));
      let imported = 0;
      let skipped = 0;
      for (const [i, text] of parts.entries()) {
        const r = await adminCall<{ imported: number; skipped: number }>(o, 'POST', '/keys/import', { format, text, ...(o.reason ? { reason: o.reason } : {}) });
        imported += r.imported;
        skipped += r.skipped;
        process.stderr.write(`\rimported ${imported}, skipped ${skipped} (part ${i + 1}/${parts.length})`);
      }
      process.stderr.write('\n');
      console.log(JSON.stringify({ imported, skipped }));
    });
}

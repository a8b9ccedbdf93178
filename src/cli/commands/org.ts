/** `meterfabric org …`: organisations, through the REST admin API of a running platform. */
import type { Command } from 'commander';
import { writeFileSync, readFileSync } from 'node:fs';
import { addClientOptions, adminCall, printTable, type ClientOptions } from '../admin-client.ts';
import { createKeyAndCsr } from '../../platform/ca.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

export function register(program: Command): void {
  const org = program.command('org').description('manage organisations (talks to a running platform)');

  addClientOptions(org.command('add <id>'))
    .description('add an organisation (platform function group USER unless --admin)')
    .option('--name <name>', 'display name')
    .option('--notification-url <url>', 'where SendNotification calls go when a request names no ResponseUrl')
    .option('--webhook-url <url>', 'where JSON notifications for REST requests go')
    .option('--admin', 'platform function group ADMIN')
    .action(async (id: string, o: ClientOptions & { name?: string; notificationUrl?: string; webhookUrl?: string; admin?: boolean }) => {
      const created = await adminCall(o, 'POST', '/organisations', {
        identification: id,
        ...(o.name ? { name: o.name } : {}),
        ...(o.notificationUrl ? { notificationUrl: o.notificationUrl } : {}),
        ...(o.webhookUrl ? { webhookUrl: o.webhookUrl } : {}),
        ...(o.admin ? { platformFunctionGroup: 'ADMIN' } : {}),
      });
      console.log(`organisation ${created.identification} added (${created.platformFunctionGroup})`);
    });

  addClientOptions(org.command('list')).description('list organisations').action(async (o: ClientOptions) => {
    const { organisations } = await adminCall(o, 'GET', '/organisations');
    printTable(
      organisations.map((x: any) => ({ ...x, enabled: x.enabled ? 'yes' : 'no', allowedUrls: (x.allowedUrls ?? []).join(' ') })),
      ['identification', 'name', 'platformFunctionGroup', 'enabled', 'notificationUrl', 'webhookUrl', 'allowedUrls'],
    );
  });

  addClientOptions(org.command('set <id>'))
    .description('change an organisation')
    .option('--name <name>', 'display name')
    .option('--notification-url <url>', 'SendNotification target ("" to clear)')
    .option('--webhook-url <url>', 'JSON webhook target ("" to clear)')
    .option('--allow-url <prefix>', 'allow notifications (ResponseUrl, webhooks) to URLs under this prefix; repeatable', collect, [])
    .option('--disallow-url <prefix>', 'remove a prefix from the allowed notification URLs; repeatable', collect, [])
    .option('--public-key <pemfile>', "register the organisation's RSA public key (PEM, >= 2048 bits): GetKeys encrypts the keys it returns with it")
    .action(async (id: string, o: ClientOptions & { name?: string; notificationUrl?: string; webhookUrl?: string; allowUrl: string[]; disallowUrl: string[]; publicKey?: string }) => {
      const patch: Record<string, unknown> = {};
      if (o.name !== undefined) patch.name = o.name;
      if (o.notificationUrl !== undefined) patch.notificationUrl = o.notificationUrl || null;
      if (o.webhookUrl !== undefined) patch.webhookUrl = o.webhookUrl || null;
      if (o.allowUrl.length > 0) patch.allowUrls = o.allowUrl;
      if (o.disallowUrl.length > 0) patch.disallowUrls = o.disallowUrl;
      if (o.publicKey === undefined || Object.keys(patch).length > 0) {
        await adminCall(o, 'PATCH', `/organisations/${encodeURIComponent(id)}`, patch);
        console.log(`organisation ${id} updated`);
      }
      if (o.publicKey !== undefined) {
        const k = await adminCall(o, 'PUT', `/organisations/${encodeURIComponent(id)}/public-key`, { publicKey: readFileSync(o.publicKey, 'utf8') });
        console.log(`organisation ${id}: RSA public key registered (${k.modulusBits} bits)`);
      }
    });

  for (const verb of ['enable', 'disable'] as const) {
    addClientOptions(org.command(`${verb} <id>`)).description(`${verb} an organisation`).action(async (id: string, o: ClientOptions) => {
      await adminCall(o, 'POST', `/organisations/${encodeURIComponent(id)}/${verb}`);
      console.log(`organisation ${id} ${verb}d`);
    });
  }

  addClientOptions(org.command('remove <id>'))
    .description('remove an organisation: disabled, once it holds no device authorisation (GXF RemoveOrganisation)')
    .action(async (id: string, o: ClientOptions) => {
      await adminCall(o, 'POST', `/organisations/${encodeURIComponent(id)}/remove`);
      console.log(`organisation ${id} removed (disabled)`);
    });

  addClientOptions(org.command('cert <id>'))
    .description('get a client certificate (CN = id) from the platform CA; the private key is made here and never sent')
    .option('--csr <file>', 'use this certificate signing request instead of making a new key')
    .option('--out <prefix>', 'file prefix for <prefix>.key.pem, <prefix>.cert.pem and <prefix>.ca.pem (default: the id)')
    .action(async (id: string, o: ClientOptions & { csr?: string; out?: string }) => {
      const prefix = o.out ?? id;
      let csrPem: string;
      let keyPem: string | undefined;
      if (o.csr) csrPem = readFileSync(o.csr, 'utf8');
      else ({ keyPem, csrPem } = await createKeyAndCsr(id));
      const r = await adminCall(o, 'POST', `/organisations/${encodeURIComponent(id)}/certificate`, { csr: csrPem });
      // The key is written only once the CA signed: a refused request leaves no key file behind.
      if (keyPem) writeFileSync(`${prefix}.key.pem`, keyPem, { mode: 0o600 });
      writeFileSync(`${prefix}.cert.pem`, r.certificate);
      writeFileSync(`${prefix}.ca.pem`, r.caCertificate);
      console.log(`wrote ${o.csr ? '' : `${prefix}.key.pem, `}${prefix}.cert.pem and ${prefix}.ca.pem`);
    });

  addClientOptions(org.command('token <id>'))
    .description('print a new API token for an organisation, for SOAP, REST and the console (shown once; only its hash is kept); --revoke withdraws all')
    .option('--revoke', 'revoke every token of the organisation and end its console sessions')
    .action(async (id: string, o: ClientOptions & { revoke?: boolean }) => {
      if (o.revoke) {
        const r = await adminCall(o, 'DELETE', `/organisations/${encodeURIComponent(id)}/tokens`);
        console.log(`${r.revoked} token(s) of ${id} revoked`);
        return;
      }
      const r = await adminCall(o, 'POST', `/organisations/${encodeURIComponent(id)}/tokens`);
      console.log(r.token);
    });
}

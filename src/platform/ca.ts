/**
 * A small certificate authority for organisation client certificates (docs/gxf.md#organisation-authentication: the client
 * certificate's CN must equal OrganisationIdentification) and for the platform's own TLS server certificate.
 * Node can verify certificates but not issue them, so issuing goes through the `openssl` command line.
 * The CA key lives in a 0600 file in the CA folder; organisations send a CSR and get a certificate back, so
 * their private keys never pass through the platform.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile, access } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, MeterfabricError } from '../errors.ts';

const run = promisify(execFile);

async function openssl(args: string[], cwd?: string): Promise<string> {
  try {
    const { stdout } = await run('openssl', args, { cwd, maxBuffer: 1 << 20 });
    return stdout;
  } catch (e) {
    // openssl's stderr names files and options, never key bytes; still, keep only its first line.
    const first = String((e as { stderr?: string }).stderr ?? '').split('\n')[0];
    throw new MeterfabricError(ErrorCode.CONFIGURATION_ERROR, `openssl failed: ${first}`, { component: 'SHARED', retryable: false });
  }
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(() => true, () => false);
}

async function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'meterfabric-ca-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * What a client certificate's CN may be: an organisation identifier of letters, digits, `.`, `_` and `-`. Nothing
 * that openssl's `-subj` syntax or an X.500 name could read as a separator (`/`, `=`, `+`, `,`, `\`) gets in, so
 * an organisation named like `acme/CN=OSGP` can never obtain a certificate with a second CN.
 */
export const ORGANISATION_CN = /^[A-Za-z0-9._-]{1,40}$/;

function checkCn(cn: string): void {
  if (!ORGANISATION_CN.test(cn)) {
    throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'Organisation identification cannot be used as a certificate CN (letters, digits, . _ - only)', { component: 'SHARED', retryable: false });
  }
}

export interface TlsMaterial {
  key: string;
  cert: string;
  ca: string;
}

export class PlatformCa {
  private constructor(readonly dir: string) {}

  get caCertPath(): string {
    return join(this.dir, 'ca.cert.pem');
  }
  get #caKeyPath(): string {
    return join(this.dir, 'ca.key.pem');
  }

  /** Opens the CA in `dir`, creating its key and self-signed certificate on first use. */
  static async open(dir: string, name = 'meterfabric platform CA'): Promise<PlatformCa> {
    const ca = new PlatformCa(dir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (!(await exists(ca.caCertPath))) {
      await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', ca.#caKeyPath]);
      await chmod(ca.#caKeyPath, 0o600);
      await openssl(['req', '-x509', '-new', '-key', ca.#caKeyPath, '-sha256', '-days', '3650', '-subj', `/CN=${name}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', ca.caCertPath]);
    }
    return ca;
  }

  async caCertificate(): Promise<string> {
    return readFile(this.caCertPath, 'utf8');
  }

  /** Signs a CSR as a client certificate whose subject is exactly CN=<organisation> (the CSR's subject is ignored). */
  async issueOrganisationCertificate(organisationIdentification: string, csrPem: string, days = 825): Promise<string> {
    checkCn(organisationIdentification);
    if (!/-----BEGIN CERTIFICATE REQUEST-----/.test(csrPem)) {
      throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'A PEM certificate signing request is required', { component: 'SHARED' });
    }
    return withTemp(async (tmp) => {
      await writeFile(join(tmp, 'req.csr'), csrPem);
      await openssl(['req', '-in', 'req.csr', '-noout', '-verify'], tmp);
      await writeFile(join(tmp, 'ext.cnf'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
      await openssl(['x509', '-req', '-in', 'req.csr', '-CA', this.caCertPath, '-CAkey', this.#caKeyPath, '-CAcreateserial', '-CAserial', join(tmp, 'ca.srl'),
        '-days', String(days), '-sha256', '-subj', `/CN=${organisationIdentification}`, '-extfile', 'ext.cnf', '-out', 'cert.pem'], tmp);
      const pem = await readFile(join(tmp, 'cert.pem'), 'utf8');
      // What was signed must name exactly this organisation and nothing else.
      if (new X509Certificate(pem).subject !== `CN=${organisationIdentification}`) {
        throw new MeterfabricError(ErrorCode.INTERNAL_ERROR, 'The issued certificate does not carry the expected subject', { component: 'SHARED', retryable: false });
      }
      return pem;
    });
  }

  /**
   * The platform's TLS server key and certificate (created once, for the given host names and addresses),
   * plus the CA certificate that client certificates must chain to.
   */
  async serverTls(hosts: string[] = ['localhost', '127.0.0.1', '::1']): Promise<TlsMaterial> {
    const keyPath = join(this.dir, 'server.key.pem');
    const certPath = join(this.dir, 'server.cert.pem');
    if (!(await exists(certPath))) {
      const san = hosts.map((h) => (/^[0-9.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
      await withTemp(async (tmp) => {
        await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyPath]);
        await chmod(keyPath, 0o600);
        await openssl(['req', '-new', '-key', keyPath, '-subj', `/CN=${hosts[0]}`, '-out', join(tmp, 'server.csr')]);
        await writeFile(join(tmp, 'ext.cnf'), `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`);
        await openssl(['x509', '-req', '-in', 'server.csr', '-CA', this.caCertPath, '-CAkey', this.#caKeyPath, '-CAcreateserial', '-CAserial', join(tmp, 'ca.srl'),
          '-days', '825', '-sha256', '-extfile', 'ext.cnf', '-out', certPath], tmp);
      });
    }
    return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8'), ca: await this.caCertificate() };
  }
}

/** Makes a new P-256 key and a CSR for CN=<cn> on the caller's side (CLI `org cert`, tests). */
export async function createKeyAndCsr(cn: string): Promise<{ keyPem: string; csrPem: string }> {
  checkCn(cn);
  return withTemp(async (tmp) => {
    await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'key.pem'], tmp);
    await openssl(['req', '-new', '-key', 'key.pem', '-subj', `/CN=${cn}`, '-out', 'req.csr'], tmp);
    return { keyPem: await readFile(join(tmp, 'key.pem'), 'utf8'), csrPem: await readFile(join(tmp, 'req.csr'), 'utf8') };
  });
}

/** The subject CN of a PEM certificate. */
export function certificateCn(certPem: string): string | undefined {
  const subject = new X509Certificate(certPem).subject;
  return /(?:^|\n)CN=([^\n]*)/.exec(subject)?.[1];
}

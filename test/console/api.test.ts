/**
 * The console's JSON API through fastify inject: sign-in (token, loopback-only sign-in, sessions that expire),
 * scoping per organisation (issue 6 scope 3: "shows only what it may see"), operations and fleet rekey through
 * the platform to simulated meters, and no key material in any response.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { engines, engineOptions } from '../support/db.ts';
import { startConsole, knownKeyEncodings, ORG_A, ORG_B, ADMIN, GW_A, GW_B, GM_A, type ConsoleFixture, until } from './helpers.ts';
import { issueApiToken } from '../../src/platform/tokens.ts';
import { issueSignInToken } from '../../src/platform/tokens.ts';

const bodies: string[] = [];

async function call(f: ConsoleFixture, opts: InjectOptions & { cookie?: string }): Promise<LightMyRequestResponse> {
  const { cookie, ...rest } = opts;
  // State-changing requests say application/json, as the console page does.
  const json = rest.method && rest.method !== 'GET' ? { 'content-type': 'application/json' } : {};
  const res = await f.app.inject({ ...rest, headers: { ...json, ...(rest.headers ?? {}), ...(cookie ? { cookie } : {}) } });
  bodies.push(JSON.stringify(res.headers) + res.body);
  return res;
}

async function signIn(f: ConsoleFixture, org: string): Promise<string> {
  const { token } = await issueApiToken(f.h.db, org);
  const res = await call(f, { method: 'POST', url: '/console/api/session', payload: { token } });
  assert.equal(res.statusCode, 200, res.body);
  const set = String(res.headers['set-cookie']);
  return set.split(';')[0]!;
}

for (const engine of engines) {
  test(`${engine}: console sign-in with a token sets an HttpOnly SameSite=Strict session cookie and stores only a hash`, engineOptions(engine), async () => {
    const f = await startConsole(engine);
    try {
      const { token } = await issueApiToken(f.h.db, ORG_A);
      assert.match(token, /^mft_[A-Za-z0-9_-]{43}$/);
      const stored = await f.h.db.query<{ token_hash: string }>('SELECT token_hash FROM api_token');
      assert.equal(stored.rows.length, 1);
      assert.ok(!stored.rows[0]!.token_hash.includes(token.slice(4)), 'the token itself is not stored');

      const res = await call(f, { method: 'POST', url: '/console/api/session', payload: { token } });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().organisationIdentification, ORG_A);
      assert.equal(res.json().admin, false);
      const set = String(res.headers['set-cookie']);
      assert.match(set, /^mf_console=[A-Za-z0-9_-]{43}; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
      const cookie = set.split(';')[0]!;
      const sessions = await f.h.db.query<{ session_hash: string }>('SELECT session_hash FROM console_session');
      assert.ok(!sessions.rows.some((s) => s.session_hash === cookie.split('=')[1]), 'the session id itself is not stored');
      assert.equal((await call(f, { method: 'GET', url: '/console/api/session', cookie })).json().organisationIdentification, ORG_A);

      // nobody names the organisation to sign in as; a wrong token is refused
      assert.equal((await call(f, { method: 'POST', url: '/console/api/session', payload: { token, organisation: ORG_B } })).statusCode, 400);
      assert.equal((await call(f, { method: 'POST', url: '/console/api/session', payload: { token: 'mft_' + 'A'.repeat(43) } })).statusCode, 401);
      // without a token: refused
      assert.equal((await call(f, { method: 'POST', url: '/console/api/session', payload: {} })).statusCode, 401);
      assert.equal((await call(f, { method: 'POST', url: '/console/api/session', payload: { organisation: ORG_A } })).statusCode, 400);

      // signing out ends the session
      assert.equal((await call(f, { method: 'DELETE', url: '/console/api/session', cookie })).statusCode, 200);
      assert.equal((await call(f, { method: 'GET', url: '/console/api/session', cookie })).statusCode, 401);
    } finally {
      await f.stop();
    }
  });

  test(`${engine}: every console API route answers 401 without a session, and sessions expire`, engineOptions(engine), async () => {
    const f = await startConsole(engine);
    try {
      const routes: Array<[InjectOptions['method'], string, unknown?]> = [
        ['GET', '/console/api/session'], ['GET', '/console/api/gateways'], ['GET', `/console/api/gateways/${GW_A}`],
        ['POST', `/console/api/gateways/${GW_A}/channels/1/actions`, { action: 'set-user-key' }], ['GET', '/console/api/requests'],
        ['GET', '/console/api/requests/x'], ['GET', '/console/api/organisations'], ['PATCH', `/console/api/organisations/${ORG_B}`, { enabled: false }],
        ['POST', `/console/api/organisations/${ORG_B}/console-tokens`], ['GET', '/console/api/audit'], ['POST', '/console/api/rekeys', { gateways: [GW_A] }],
        ['GET', '/console/api/rekeys/x'],
      ];
      for (const [method, url, payload] of routes) {
        const res = await call(f, { method, url, ...(payload ? { payload: payload as object } : {}) });
        assert.equal(res.statusCode, 401, `${method} ${url}: ${res.body}`);
        assert.equal(res.json().code, 224);
        const forged = await call(f, { method, url, cookie: 'mf_console=' + 'x'.repeat(43), ...(payload ? { payload: payload as object } : {}) });
        assert.equal(forged.statusCode, 401, `${method} ${url} with a forged cookie`);
      }
      const cookie = await signIn(f, ORG_A);
      assert.equal((await call(f, { method: 'GET', url: '/console/api/gateways', cookie })).statusCode, 200);
      await f.h.db.query("UPDATE console_session SET expires_at = now() - interval '1 second'");
      assert.equal((await call(f, { method: 'GET', url: '/console/api/gateways', cookie })).statusCode, 401, 'an expired session is refused');

      // a session of an organisation that is disabled afterwards stops working
      const b = await signIn(f, ORG_B);
      await f.h.db.query('UPDATE organisation SET enabled = false WHERE identification = $1', [ORG_B]);
      assert.equal((await call(f, { method: 'GET', url: '/console/api/gateways', cookie: b })).statusCode, 401);
      const { token } = await issueApiToken(f.h.db, ORG_B);
      assert.equal((await call(f, { method: 'POST', url: '/console/api/session', payload: { token } })).statusCode, 403, 'a disabled organisation cannot sign in');
    } finally {
      await f.stop();
    }
  });
}

test('no visitor signs in without a token, from whatever address; a sign-in link works once; a bearer token works without a session', async () => {
  const f = await startConsole('pglite');
  try {
    for (const remoteAddress of ['127.0.0.1', '::1', '192.0.2.7']) {
      const res = await call(f, { method: 'POST', url: '/console/api/session', payload: {}, remoteAddress });
      assert.equal(res.statusCode, 401, remoteAddress);
      assert.equal(res.headers['set-cookie'], undefined);
    }
    assert.equal((await call(f, { method: 'GET', url: '/console/api/sign-in-options' })).statusCode, 404, 'no list of organisations to pick from');
    const link = await issueSignInToken(f.h.db, ORG_A);
    const first = await call(f, { method: 'POST', url: '/console/api/session', payload: { token: link } });
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.json().via, 'SIGN_IN_LINK');
    assert.equal((await call(f, { method: 'POST', url: '/console/api/session', payload: { token: link } })).statusCode, 401, 'used once');
    const { token } = await issueApiToken(f.h.db, ADMIN);
    const asAdmin = await call(f, { method: 'GET', url: '/console/api/organisations', headers: { authorization: `Bearer ${token}` } });
    assert.equal(asAdmin.statusCode, 200);
    assert.ok(asAdmin.json().organisations.length >= 3);
  } finally {
    await f.stop();
  }
});

for (const engine of engines) {
  test(`${engine}: organisation A cannot see organisation B's devices, requests, audit or rekeys; ADMIN sees all`, engineOptions(engine), async () => {
    const f = await startConsole(engine);
    try {
      const a = await signIn(f, ORG_A);
      const b = await signIn(f, ORG_B);
      const admin = await signIn(f, ADMIN);

      const gwA = (await call(f, { method: 'GET', url: '/console/api/gateways', cookie: a })).json().gateways;
      assert.deepEqual(gwA.map((g: { deviceIdentification: string }) => g.deviceIdentification), [GW_A]);
      assert.equal(gwA[0].channels.length, 4);
      assert.equal(gwA[0].channels[0].gMeter.deviceIdentification, GM_A);
      assert.equal(gwA[0].channels[1].gMeter, null);
      assert.equal((await call(f, { method: 'GET', url: `/console/api/gateways/${GW_B}`, cookie: a })).statusCode, 404);
      assert.equal((await call(f, { method: 'POST', url: `/console/api/gateways/${GW_B}/channels/1/actions`, cookie: a, payload: { action: 'get-key-status' } })).statusCode, 404);
      assert.equal((await call(f, { method: 'POST', url: '/console/api/rekeys', cookie: a, payload: { gateways: [GW_B] } })).statusCode, 404);

      // B submits a request; A sees neither it nor its timeline
      const sub = await call(f, { method: 'POST', url: `/console/api/gateways/${GW_B}/channels/1/actions`, cookie: b, payload: { action: 'get-key-status' } });
      assert.equal(sub.statusCode, 202, sub.body);
      const cidB = sub.json().correlationUid as string;
      assert.equal((await call(f, { method: 'GET', url: `/console/api/requests/${encodeURIComponent(cidB)}`, cookie: a })).statusCode, 404);
      assert.equal((await call(f, { method: 'GET', url: '/console/api/requests', cookie: a })).json().requests.length, 0);
      assert.equal((await call(f, { method: 'GET', url: `/console/api/requests?device=${GW_B}`, cookie: a })).json().requests.length, 0);
      assert.equal((await call(f, { method: 'GET', url: '/console/api/requests', cookie: b })).json().requests[0].correlationUid, cidB);
      assert.equal((await call(f, { method: 'GET', url: `/console/api/requests/${encodeURIComponent(cidB)}`, cookie: admin })).statusCode, 200);

      const auditA = (await call(f, { method: 'GET', url: '/console/api/audit', cookie: a })).json();
      assert.ok(auditA.platform.every((e: { organisationIdentification: string }) => e.organisationIdentification === ORG_A));
      assert.ok(auditA.secrets.length > 0 && auditA.secrets.every((e: { deviceIdentification: string }) => [GW_A, GM_A].includes(e.deviceIdentification)));
      const auditAdmin = (await call(f, { method: 'GET', url: '/console/api/audit', cookie: admin })).json();
      assert.ok(auditAdmin.platform.some((e: { correlationUid: string }) => e.correlationUid === cidB));

      const orgsA = (await call(f, { method: 'GET', url: '/console/api/organisations', cookie: a })).json().organisations;
      assert.deepEqual(orgsA.map((o: { identification: string }) => o.identification), [ORG_A]);
      assert.deepEqual(orgsA[0].authorisations.map((x: { deviceIdentification: string }) => x.deviceIdentification).sort(), [GW_A, GM_A].sort());
      assert.equal((await call(f, { method: 'PATCH', url: `/console/api/organisations/${ORG_B}`, cookie: a, payload: { enabled: false } })).statusCode, 403);
      assert.equal((await call(f, { method: 'POST', url: `/console/api/organisations/${ORG_B}/console-tokens`, cookie: a })).statusCode, 403);

      const all = (await call(f, { method: 'GET', url: '/console/api/gateways', cookie: admin })).json().gateways;
      assert.deepEqual(all.map((g: { deviceIdentification: string }) => g.deviceIdentification), [GW_A, GW_B]);
      assert.equal((await call(f, { method: 'GET', url: '/console/api/organisations', cookie: admin })).json().organisations.length, 4, 'the built-in OSGP organisation too');

      // ADMIN disables B (B's session ends) and issues B a token
      const dis = await call(f, { method: 'PATCH', url: `/console/api/organisations/${ORG_B}`, cookie: admin, payload: { enabled: false } });
      assert.deepEqual(dis.json(), { identification: ORG_B, enabled: false });
      assert.equal((await call(f, { method: 'GET', url: '/console/api/gateways', cookie: b })).statusCode, 401);
      const issued = await call(f, { method: 'POST', url: `/console/api/organisations/${ORG_A}/console-tokens`, cookie: admin });
      assert.equal(issued.statusCode, 201);
      const by = await f.h.db.query<{ issued_by: string }>('SELECT issued_by FROM api_token WHERE organisation_identification = $1 ORDER BY created_at DESC LIMIT 1', [ORG_A]);
      assert.equal(by.rows[0]!.issued_by, `console:${ADMIN}`);
      assert.equal((await call(f, { method: 'POST', url: '/console/api/session', payload: { token: issued.json().token } })).json().organisationIdentification, ORG_A);
    } finally {
      await f.stop();
    }
  });
}

test('pglite: console actions and a fleet rekey reach OK on simulated meters, and no response carries key material', async () => {
  const f = await startConsole('pglite');
  bodies.length = 0;
  try {
    const a = await signIn(f, ORG_A);
    const sub = await call(f, { method: 'POST', url: `/console/api/gateways/${GW_A}/channels/1/actions`, cookie: a, payload: { action: 'set-user-key' } });
    assert.equal(sub.statusCode, 202, sub.body);
    assert.equal(sub.json().messageType, 'SET_MBUS_USER_KEY_BY_CHANNEL');
    const cid = encodeURIComponent(sub.json().correlationUid);
    const done = await until(() => call(f, { method: 'GET', url: `/console/api/requests/${cid}`, cookie: a }).then((r) => r.json()), (v) => v.request.status === 'DONE', 'set user key');
    assert.equal(done.request.result, 'OK', JSON.stringify(done.response));
    assert.deepEqual(done.timeline.map((e: { event: string }) => e.event).slice(0, 1), ['ACCEPTED']);

    const status = await call(f, { method: 'POST', url: `/console/api/gateways/${GW_A}/channels/1/actions`, cookie: a, payload: { action: 'get-key-status' } });
    const statusCid = encodeURIComponent(status.json().correlationUid);
    await until(() => call(f, { method: 'GET', url: `/console/api/requests/${statusCid}`, cookie: a }).then((r) => r.json()), (v) => v.request.status === 'DONE', 'key status');
    const gw = (await call(f, { method: 'GET', url: `/console/api/gateways/${GW_A}`, cookie: a })).json();
    const ch1 = gw.channels[0];
    assert.ok(ch1.userKey.active, 'an ACTIVE user key is shown');
    assert.equal(ch1.userKey.pending, null);
    assert.equal(ch1.encryptionKeyStatus.status, 'ENCRYPTION_KEY_IN_USE');
    assert.equal(gw.channels[1].encryptionKeyStatus, null);

    const scan = await call(f, { method: 'POST', url: `/console/api/gateways/${GW_A}/channels/1/actions`, cookie: a, payload: { action: 'scan' } });
    assert.equal(scan.json().messageType, 'SCAN_MBUS_CHANNELS');
    assert.equal((await call(f, { method: 'POST', url: `/console/api/gateways/${GW_A}/channels/5/actions`, cookie: a, payload: { action: 'scan' } })).statusCode, 400);
    assert.equal((await call(f, { method: 'POST', url: `/console/api/gateways/${GW_A}/channels/1/actions`, cookie: a, payload: { action: 'drop' } })).statusCode, 400);

    const rekey = await call(f, { method: 'POST', url: '/console/api/rekeys', cookie: a, payload: { gateways: [GW_A] } });
    assert.equal(rekey.statusCode, 202, rekey.body);
    assert.equal(rekey.json().total, 1);
    const id = rekey.json().id as string;
    const progress = await until(() => call(f, { method: 'GET', url: `/console/api/rekeys/${id}`, cookie: a }).then((r) => r.json()), (v) => v.pending === 0, 'rekey');
    assert.deepEqual({ total: progress.total, done: progress.done, failed: progress.failed }, { total: 1, done: 1, failed: 0 });
    const b = await signIn(f, ORG_B);
    assert.equal((await call(f, { method: 'GET', url: `/console/api/rekeys/${id}`, cookie: b })).statusCode, 404, 'B cannot follow A\'s rekey');

    for (const url of ['/console/api/gateways', '/console/api/requests', '/console/api/audit', '/console/api/organisations', `/console/api/requests/${cid}`, `/console/api/rekeys/${id}`]) {
      await call(f, { method: 'GET', url, cookie: a });
    }
    const encodings = await knownKeyEncodings(f.h);
    assert.ok(encodings.length >= 4 * 5, 'the keys searched for include the G-meter user key');
    for (const body of bodies) for (const e of encodings) assert.ok(!body.includes(e), `a console response contains key material: ${body.slice(0, 200)}`);
  } finally {
    await f.stop();
  }
});

test('the console serves its page, script and stylesheet with a restrictive content security policy', async () => {
  const f = await startConsole('pglite');
  try {
    const index = await call(f, { method: 'GET', url: '/console/' });
    assert.equal(index.statusCode, 200);
    assert.match(String(index.headers['content-type']), /^text\/html/);
    assert.match(index.body, /<script type="module" src="app.js">/);
    assert.match(String(index.headers['content-security-policy']), /default-src 'self'/);
    assert.match(String((await call(f, { method: 'GET', url: '/console/app.js' })).headers['content-type']), /^text\/javascript/);
    assert.match(String((await call(f, { method: 'GET', url: '/console/style.css' })).headers['content-type']), /^text\/css/);
    assert.equal((await call(f, { method: 'GET', url: '/console/..%2Fplugin.ts' })).statusCode, 404);
    assert.equal((await call(f, { method: 'GET', url: '/console' })).statusCode, 302);
  } finally {
    await f.stop();
  }
});

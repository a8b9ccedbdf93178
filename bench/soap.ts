/**
 * SOAP interface throughput: SetMbusUserKeyByChannel requests accepted per second through fastify inject with the
 * in-memory fake platform (parse + headers + XSD validation + dispatch + AsyncResponse), polls answered per second,
 * and the cost of XSD validation alone per request body. `npm run bench -- soap`.
 */
// One info line per accepted request would measure the terminal; set before the logger is created.
process.env.METERFABRIC_LOG_LEVEL ??= 'warn';
const { default: Fastify } = await import('fastify');
const { XmlDocument, XmlElement } = await import('libxml2-wasm');
const { soapPlugin } = await import('../src/api/soap/plugin.ts');
const { gxfValidator, SAFE_PARSE, validateElement } = await import('../src/api/soap/schema.ts');
const { NS } = await import('../src/api/soap/xml.ts');
const { FakePlatform } = await import('../test/api/soap/fake-platform.ts');
const { installTestSecurity, bearer } = await import('../test/support/auth.ts');

const N = Number(process.env.BENCH_N ?? 5000);
const PATH = '/osgp-adapter-ws-smartmetering/smartMetering/configurationService/';

const header = `<soapenv:Header><com:OrganisationIdentification>test-org</com:OrganisationIdentification>
  <com:UserName>bench</com:UserName><com:ApplicationName>bench</com:ApplicationName></soapenv:Header>`;
const wrap = (body: string) => `<soapenv:Envelope xmlns:soapenv="${NS.soapEnv}" xmlns:com="${NS.common}" xmlns:conf="${NS.configuration}">${header}<soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
const request = wrap(`<conf:SetMbusUserKeyByChannelRequest><conf:DeviceIdentification>TEST1024000000001</conf:DeviceIdentification>
  <conf:SetMbusUserKeyByChannelRequestData><conf:Channel>2</conf:Channel></conf:SetMbusUserKeyByChannelRequestData></conf:SetMbusUserKeyByChannelRequest>`);

const platform = new FakePlatform();
const app = Fastify();
// The security hook as in production (its token check here is a string compare, not a database look-up).
installTestSecurity(app);
await app.register(soapPlugin, { platform });
await app.ready();

async function rate(label: string, n: number, concurrency: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await one(next++);
    }),
  );
  const ms = performance.now() - t0;
  console.log(`${label}: ${n} in ${ms.toFixed(0)} ms = ${Math.round((n / ms) * 1000)}/s (${((ms * 1000) / n).toFixed(0)} µs each, concurrency ${concurrency})`);
}

const post = async (payload: string) => {
  const res = await app.inject({ method: 'POST', url: PATH, headers: { 'content-type': 'text/xml', ...bearer('test-org') }, payload });
  if (res.statusCode !== 200) throw new Error(`unexpected ${res.statusCode}: ${res.body}`);
};

// Warm-up: schema compile, JIT.
const t0 = performance.now();
gxfValidator();
console.log(`schema compile (all smart-metering XSDs): ${(performance.now() - t0).toFixed(0)} ms`);
for (let i = 0; i < 500; i++) await post(request);

await rate('SetMbusUserKeyByChannelRequest accepted', N, 1, () => post(request));
await rate('SetMbusUserKeyByChannelRequest accepted', N, 16, () => post(request));

const uids = platform.submitted.slice(-N).map((s) => s.correlationUid);
for (const uid of uids) platform.complete(uid, 'OK');
const polls = uids.map((uid) => wrap(`<conf:SetMbusUserKeyByChannelAsyncRequest><com:DeviceIdentification>TEST1024000000001</com:DeviceIdentification>
  <com:CorrelationUid>${uid}</com:CorrelationUid></conf:SetMbusUserKeyByChannelAsyncRequest>`));
await rate('SetMbusUserKeyByChannelAsyncRequest answered', N, 16, (i) => post(polls[i]!));

// XSD validation alone: one parsed body element validated repeatedly, then parse + validate per request.
const doc = XmlDocument.fromString(request, { option: SAFE_PARSE });
const body = doc.get('/s:Envelope/s:Body/*[1]', { s: NS.soapEnv }) as InstanceType<typeof XmlElement>;
let t = performance.now();
for (let i = 0; i < N; i++) if (validateElement(body).length) throw new Error('invalid');
const validateUs = ((performance.now() - t) * 1000) / N;
doc.dispose();
t = performance.now();
for (let i = 0; i < N; i++) {
  const d = XmlDocument.fromString(request, { option: SAFE_PARSE });
  validateElement(d.get('/s:Envelope/s:Body/*[1]', { s: NS.soapEnv }) as InstanceType<typeof XmlElement>);
  d.dispose();
}
const parseValidateUs = ((performance.now() - t) * 1000) / N;
console.log(`XSD validation of the body element: ${validateUs.toFixed(1)} µs per request; parse + validate: ${parseValidateUs.toFixed(1)} µs`);

await app.close();

// meterfabric web console: a single-page app with hash routes over /console/api (src/console/README.md).
// Every value from the server is put into the page as text (never as HTML).

const main = document.getElementById('main');
const POLL_MS = 1000;
let session = null;
let pollTimer = null;

/** Builds an element: h('td', { class: 'x', onclick }, 'text', child, …). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    // Styles through the CSSOM: the content security policy refuses style attributes.
    else if (k === 'style') Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

async function api(method, path, body) {
  const res = await fetch(`/console/api${path}`, {
    method,
    credentials: 'same-origin',
    // Every state-changing request says application/json, with or without a body (the server refuses it otherwise).
    headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401 && path !== '/session') { session = null; route(); }
  if (!res.ok) throw new Error(data.message ?? `HTTP ${res.status}`);
  return data;
}

const time = (v) => (v ? new Date(v).toLocaleString() : '');
/** Replaces el's children, skipping absent parts (null, undefined, false) and flattening lists. */
const put = (el, ...nodes) => el.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
const show = (...nodes) => put(main, ...nodes);
const stopPolling = () => { if (pollTimer) clearTimeout(pollTimer); pollTimer = null; };
/** Re-runs fn every POLL_MS while the page stays on the same route. */
function poll(fn) {
  const hash = location.hash;
  const tick = async () => {
    if (location.hash !== hash) return;
    try { await fn(); } catch { /* the next tick tries again */ }
    if (location.hash === hash) pollTimer = setTimeout(tick, POLL_MS);
  };
  stopPolling();
  pollTimer = setTimeout(tick, POLL_MS);
}

// ------------------------------------------------------------------ sign-in

async function signInPage() {
  const error = h('p', { class: 'error', id: 'signin-error' });
  const token = h('input', { id: 'token', type: 'password', autocomplete: 'off', placeholder: 'mft_…' });
  const form = h('form', { class: 'signin card', onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      session = await api('POST', '/session', { token: token.value });
      if (!location.hash || location.hash === '#/') location.hash = '#/gateways';
      route();
    } catch (err) { error.textContent = err.message; }
  } },
    h('h2', {}, 'Sign in'),
    h('label', {}, 'API token of your organisation (meterfabric org token ORG)', h('br'), token),
    h('button', { class: 'primary', type: 'submit', id: 'sign-in' }, 'Sign in'),
    error,
  );
  show(form);
}

/**
 * A sign-in link (/console/#sign-in=TOKEN, printed by `meterfabric demo`) carries a one-time token in the
 * fragment, which never reaches a server log; it is used once and removed from the address bar at once.
 */
async function signInFromLink() {
  const m = /^#sign-in=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!m) return false;
  history.replaceState(null, '', `${location.pathname}#/gateways`);
  try {
    session = await api('POST', '/session', { token: m[1] });
  } catch (err) {
    await signInPage();
    document.getElementById('signin-error').textContent = `The sign-in link did not work (${err.message}); it works once.`;
    return true;
  }
  return false;
}

// ------------------------------------------------------------------ gateways

function keyCell(ch) {
  if (!ch.gMeter) return h('span', { class: 'muted' }, '—');
  const k = ch.userKey;
  return h('div', {},
    k?.active ? h('div', {}, 'ACTIVE since ', time(k.active.since)) : h('div', { class: 'muted' }, 'no ACTIVE user key'),
    k?.pending ? h('div', { class: 'PENDING' }, `pending NEW (${k.pending.sent ? 'sent' : 'not sent'})`) : null,
  );
}

async function gatewaysPage() {
  const { gateways } = await api('GET', '/gateways');
  const message = h('p', { id: 'action-result' });
  const act = (gw, channel, action) => async () => {
    try {
      const r = await api('POST', `/gateways/${encodeURIComponent(gw)}/channels/${channel}/actions`, { action });
      put(message, 'Submitted ', h('a', { href: `#/requests/${encodeURIComponent(r.correlationUid)}` }, r.messageType), ` (${r.correlationUid})`);
      location.hash = `#/requests/${encodeURIComponent(r.correlationUid)}`;
    } catch (err) { put(message, h('span', { class: 'error' }, err.message)); }
  };
  show(
    h('h2', {}, 'Gateways'),
    message,
    gateways.length === 0 ? h('p', { class: 'muted' }, 'No gateways visible to this organisation.') : null,
    gateways.map((g) => h('section', { class: 'card gateway', 'data-gateway': g.deviceIdentification },
      h('h3', {}, g.deviceIdentification, ' ', h('span', { class: 'muted' }, `${g.protocol} · ${g.transport} · ${g.address ?? 'no address'}`), ' ',
        h('a', { class: 'meter-link', href: `#/meters/${encodeURIComponent(g.deviceIdentification)}` }, 'meter page')),
      h('table', {},
        h('tr', {}, ['Channel', 'G-meter', 'User key', 'Last key status', 'Actions'].map((t) => h('th', {}, t))),
        g.channels.map((ch) => h('tr', { 'data-channel': ch.channel },
          h('td', {}, ch.channel),
          h('td', {}, ch.gMeter ? [ch.gMeter.deviceIdentification, h('br'), h('span', { class: 'muted' }, `${ch.gMeter.mbusManufacturerIdentification ?? ''} ${ch.gMeter.mbusIdentificationNumber ?? ''}`)] : h('span', { class: 'muted' }, 'not coupled')),
          h('td', {}, keyCell(ch)),
          h('td', {}, ch.encryptionKeyStatus ? [ch.encryptionKeyStatus.status, h('br'), h('span', { class: 'muted' }, time(ch.encryptionKeyStatus.at))] : h('span', { class: 'muted' }, 'unknown')),
          h('td', {},
            h('button', { class: 'set-user-key', onclick: act(g.deviceIdentification, ch.channel, 'set-user-key') }, 'set user key'), ' ',
            h('button', { class: 'get-key-status', onclick: act(g.deviceIdentification, ch.channel, 'get-key-status') }, 'key status'), ' ',
            h('button', { class: 'scan', onclick: act(g.deviceIdentification, ch.channel, 'scan') }, 'scan channels'),
          ),
        )),
      ),
    )),
  );
}

// ------------------------------------------------------------------ requests

function requestRow(r) {
  return h('tr', { 'data-correlation-uid': r.correlationUid },
    h('td', {}, time(r.createdAt)),
    h('td', {}, h('a', { href: `#/requests/${encodeURIComponent(r.correlationUid)}` }, r.messageType)),
    h('td', {}, r.deviceIdentification),
    h('td', { class: r.status }, r.status),
    h('td', { class: r.result ?? '' }, r.result ?? ''),
    h('td', {}, r.error ? `${r.error.code} ${r.error.codeName}` : ''),
    h('td', {}, r.attempts),
  );
}

const REQUEST_FILTERS = ['device', 'messageType', 'status', 'result'];

async function requestsPage(params) {
  const inputs = {
    device: h('input', { id: 'device-filter', placeholder: 'device identification', value: params.get('device') ?? '' }),
    messageType: h('input', { id: 'type-filter', placeholder: 'operation (e.g. GENERATE_AND_REPLACE_KEYS)', value: params.get('messageType') ?? '' }),
    status: h('select', { id: 'status-filter' }, ['', 'QUEUED', 'RUNNING', 'RETRY', 'DONE'].map((v) => h('option', { value: v, selected: v === (params.get('status') ?? '') }, v || 'any status'))),
    result: h('select', { id: 'result-filter' }, ['', 'OK', 'NOT_OK', 'NOT_FOUND'].map((v) => h('option', { value: v, selected: v === (params.get('result') ?? '') }, v || 'any result'))),
  };
  const before = params.get('before') ?? '';
  const query = new URLSearchParams();
  for (const k of REQUEST_FILTERS) if (params.get(k)) query.set(k, params.get(k));
  const body = h('tbody');
  const pager = h('p', { id: 'requests-pager' });
  const chart = h('div', { id: 'rpm-chart', class: 'card' });
  let ticks = 0;
  const load = async () => {
    const q = new URLSearchParams(query);
    q.set('limit', '50');
    if (before) q.set('before', before);
    // The chart changes by the minute: read every 10 s, the list every second.
    const [page, rpm] = await Promise.all([api('GET', `/fleet/requests?${q}`), ticks++ % 10 === 0 ? api('GET', '/fleet/requests-per-minute?minutes=30') : null]);
    put(body, ...page.requests.map(requestRow));
    const older = new URLSearchParams(query);
    if (page.next) older.set('before', page.next);
    put(pager,
      before ? h('a', { href: `#/requests?${query}`, id: 'requests-newest' }, '« newest') : null, ' ',
      page.next ? h('a', { href: `#/requests?${older}`, id: 'requests-next' }, 'older ›') : h('span', { class: 'muted' }, 'no older requests'));
    if (rpm) put(chart, h('h3', {}, 'Finished requests per minute (last 30 minutes)'), rpmChart(rpm.points, 30));
  };
  await load();
  show(
    h('h2', {}, 'Requests'),
    chart,
    h('form', { id: 'requests-filter', onsubmit: (e) => {
      e.preventDefault();
      const q = new URLSearchParams();
      for (const k of REQUEST_FILTERS) if (inputs[k].value.trim()) q.set(k, inputs[k].value.trim());
      location.hash = `#/requests?${q}`;
    } }, 'Filter ', inputs.device, ' ', inputs.messageType, ' ', inputs.status, ' ', inputs.result, ' ', h('button', {}, 'Filter')),
    h('table', {}, h('thead', {}, h('tr', {}, ['Accepted', 'Operation', 'Device', 'Status', 'Result', 'Error', 'Attempts'].map((t) => h('th', {}, t)))), body),
    pager,
  );
  // The newest page follows new requests; an older page stays as it is.
  if (!before) poll(load);
}

/** An SVG element: attributes (null/undefined left out) and children (nodes or text; null, undefined, false left out). */
const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
const RESULT_COLOURS = { OK: '#19803a', NOT_OK: '#b3261e', NOT_FOUND: '#8a5a00' };

/** A stacked bar per minute (OK, NOT_OK, NOT_FOUND) over the last `minutes` minutes. */
function rpmChart(points, minutes) {
  const now = Math.floor(Date.now() / 60_000);
  const byMinute = new Map();
  for (const p of points) {
    const m = Math.floor(Date.parse(p.minute) / 60_000);
    const row = byMinute.get(m) ?? {};
    row[p.result] = (row[p.result] ?? 0) + p.n;
    byMinute.set(m, row);
  }
  const max = Math.max(1, ...[...byMinute.values()].map((r) => Object.values(r).reduce((a, b) => a + b, 0)));
  const W = 12, H = 80;
  const bars = [];
  for (let i = 0; i < minutes; i++) {
    const m = now - minutes + 1 + i;
    const row = byMinute.get(m) ?? {};
    let y = H;
    for (const result of ['OK', 'NOT_OK', 'NOT_FOUND']) {
      const n = row[result] ?? 0;
      if (!n) continue;
      const height = (n / max) * H;
      y -= height;
      bars.push(svg('rect', { x: i * W, y, width: W - 2, height, fill: RESULT_COLOURS[result], 'data-result': result, 'data-n': n },
        svg('title', {}, `${new Date(m * 60_000).toLocaleTimeString()} ${result} ${n}`)));
    }
  }
  const total = (r) => points.filter((p) => p.result === r).reduce((a, p) => a + p.n, 0);
  return h('div', {},
    svg('svg', { width: minutes * W, height: H, viewBox: `0 0 ${minutes * W} ${H}`, class: 'chart', role: 'img' }, bars),
    h('p', { class: 'muted' }, `max ${max}/min · `, ['OK', 'NOT_OK', 'NOT_FOUND'].map((r) => h('span', { class: r }, `${r} ${total(r)} `))));
}

async function requestPage(cid) {
  const view = h('div');
  const load = async () => {
    const { request: r, response, timeline, attempts = [], notifications = [] } = await api('GET', `/requests/${encodeURIComponent(cid)}`);
    put(view,
      h('div', { class: 'card' },
        h('div', {}, 'Correlation id: ', h('code', {}, r.correlationUid)),
        h('div', {}, `${r.messageType} on ${r.deviceIdentification} by ${r.organisationIdentification} (${r.channel})`),
        h('div', {}, 'Status: ', h('span', { class: r.status, id: 'request-status' }, r.status), ' · Result: ', h('span', { class: r.result ?? '', id: 'request-result' }, r.result ?? '—'), ` · attempts ${r.attempts}, retries ${r.retries}`),
        response?.error ? h('div', { class: 'error' }, `${response.error.code} ${response.error.codeName}: ${response.error.message}`) : null,
        response?.data ? h('pre', {}, JSON.stringify(response.data, null, 2)) : null,
      ),
      h('h3', {}, 'Timeline'),
      h('table', {}, h('tr', {}, ['Time', 'Event', 'Result', 'Code', 'Detail'].map((t) => h('th', {}, t))),
        timeline.map((e) => h('tr', {}, h('td', {}, time(e.at)), h('td', {}, e.event), h('td', { class: e.result ?? '' }, e.result ?? ''), h('td', {}, e.errorCode ?? ''), h('td', {}, e.detail ?? '')))),
      h('h3', {}, 'Attempts'),
      attempts.length === 0 ? h('p', { class: 'muted' }, 'Not started yet.') :
        h('table', { id: 'attempts' }, h('tr', {}, ['#', 'Started', 'Ended', 'Outcome', 'Code', 'Next attempt due'].map((t) => h('th', {}, t))),
          attempts.map((a) => h('tr', { 'data-attempt': a.attempt }, h('td', {}, a.attempt), h('td', {}, time(a.startedAt)), h('td', {}, a.endedAt ? time(a.endedAt) : 'running'),
            h('td', { class: a.outcome ?? 'RUNNING' }, a.outcome ?? ''), h('td', {}, a.errorCode ?? ''), h('td', {}, a.nextAttemptAt ? time(a.nextAttemptAt) : '')))),
      h('h3', {}, 'Notifications'),
      notifications.length === 0 ? h('p', { class: 'muted' }, 'No notification (none configured, or not done yet).') :
        h('table', { id: 'notifications' }, h('tr', {}, ['Kind', 'Target', 'State', 'Attempts', 'Written', 'Delivered', 'Next try', 'Last error'].map((t) => h('th', {}, t))),
          notifications.map((n) => h('tr', {}, h('td', {}, n.kind), h('td', {}, n.target), h('td', { class: n.state === 'DELIVERED' ? 'OK' : n.state === 'PENDING' ? 'PENDING' : 'NOT_OK' }, n.state),
            h('td', {}, n.attempts), h('td', {}, time(n.createdAt)), h('td', {}, time(n.deliveredAt)), h('td', {}, time(n.nextAttemptAt)), h('td', {}, n.lastError ?? '')))),
    );
    return r.status === 'DONE' && notifications.every((n) => n.state !== 'PENDING');
  };
  const done = await load();
  show(h('h2', {}, 'Request'), view);
  if (!done) poll(async () => { if (await load()) stopPolling(); });
}

// ------------------------------------------------------------------ fleet

const FLEET_FILTERS = ['q', 'type', 'owner', 'protocol', 'coupled', 'lastResult'];
const FLEET_PAGE = 50;

async function fleetPage(params) {
  const select = (id, name, values) => h('select', { id, name }, values.map(([v, label]) => h('option', { value: v, selected: v === (params.get(name) ?? '') }, label)));
  const inputs = {
    q: h('input', { id: 'fleet-q', name: 'q', placeholder: 'identification starts with…', value: params.get('q') ?? '' }),
    type: select('fleet-type', 'type', [['', 'any type'], ['SMART_METER_E', 'E-meter (gateway)'], ['SMART_METER_G', 'G-meter']]),
    owner: h('input', { id: 'fleet-owner', name: 'owner', placeholder: 'owner', value: params.get('owner') ?? '', size: 12 }),
    protocol: h('input', { id: 'fleet-protocol', name: 'protocol', placeholder: 'protocol (SMR 5.1)', value: params.get('protocol') ?? '', size: 12 }),
    coupled: select('fleet-coupled', 'coupled', [['', 'coupled or not'], ['true', 'coupled'], ['false', 'uncoupled G-meters']]),
    lastResult: select('fleet-last-result', 'lastResult', [['', 'any last result'], ['OK', 'last OK'], ['NOT_OK', 'last NOT_OK'], ['NOT_FOUND', 'last NOT_FOUND'], ['NONE', 'no request yet']]),
  };
  const filter = new URLSearchParams();
  for (const k of FLEET_FILTERS) if (params.get(k)) filter.set(k, params.get(k));
  const q = new URLSearchParams(filter);
  q.set('limit', String(FLEET_PAGE));
  if (params.get('after')) q.set('after', params.get('after'));
  if (params.get('before')) q.set('before', params.get('before'));
  const started = performance.now();
  const page = await api('GET', `/fleet/devices?${q}`);
  const tookMs = Math.round(performance.now() - started);
  const boxes = new Map();
  const to = (k, v) => { const n = new URLSearchParams(filter); n.set(k, v); return `#/fleet?${n}`; };
  const row = (d) => {
    const box = h('input', { type: 'checkbox', value: d.deviceIdentification, class: 'pick' });
    boxes.set(d.deviceIdentification, box);
    return h('tr', { 'data-device': d.deviceIdentification },
      h('td', {}, box),
      h('td', {}, d.deviceType === 'SMART_METER_E' ? h('a', { href: `#/meters/${encodeURIComponent(d.deviceIdentification)}` }, d.deviceIdentification) : d.deviceIdentification),
      h('td', {}, d.deviceType === 'SMART_METER_E' ? 'E' : 'G'),
      h('td', {}, d.protocol),
      h('td', {}, d.owner ?? ''),
      h('td', {}, d.gatewayDeviceIdentification ? `${d.gatewayDeviceIdentification} ch ${d.channel}` : (d.deviceType === 'SMART_METER_G' ? h('span', { class: 'muted' }, 'uncoupled') : '')),
      h('td', {}, time(d.lastContactAt)),
      h('td', { class: d.lastResult ?? '' }, d.lastResult ? h('a', { href: `#/requests/${encodeURIComponent(d.lastCorrelationUid)}` }, `${d.lastResult} ${d.lastMessageType ?? ''}`) : h('span', { class: 'muted' }, '—')),
      h('td', {}, time(d.lastRequestAt)));
  };
  const bulkError = h('p', { class: 'error', id: 'bulk-error' });
  const { operations } = await api('GET', '/bulk-operations');
  const opSelect = h('select', { id: 'bulk-operation' }, operations.map((o) => h('option', { value: o.operation, selected: o.operation === 'generateAndReplaceKeys', title: o.summary }, `${o.operation} (${o.messageType})`)));
  const bodyInput = h('input', { id: 'bulk-body', value: '{}', size: 40, title: 'the REST body of the operation (JSON), the same for every device' });
  // UpdateFirmware takes its one field from a picker of the stored files the organisation may send.
  const { firmwareFiles } = await api('GET', '/firmware-files');
  const firmwarePick = h('select', { id: 'bulk-firmware', title: 'the stored firmware file to send' },
    firmwareFiles.length ? firmwareFiles.map((f) => h('option', { value: f.identification }, firmwareLabel(f))) : h('option', { value: '' }, 'no firmware file stored'));
  const bodyLabel = h('span', {}, ' body ', bodyInput);
  const firmwareLabelEl = h('span', {}, ' firmware ', firmwarePick);
  const showBody = () => {
    const firmware = opSelect.value === 'updateFirmware';
    bodyLabel.hidden = firmware;
    firmwareLabelEl.hidden = !firmware;
  };
  opSelect.addEventListener('change', showBody);
  showBody();
  const startBulk = async () => {
    bulkError.textContent = '';
    let body;
    if (opSelect.value === 'updateFirmware') {
      if (!firmwarePick.value) { bulkError.textContent = 'No firmware file to send (an administrator stores them: meterfabric firmware add).'; return; }
      body = { firmwareIdentification: firmwarePick.value };
    } else {
      try { body = JSON.parse(bodyInput.value || '{}'); } catch { bulkError.textContent = 'The body is not JSON.'; return; }
    }
    const picked = [...boxes.entries()].filter(([, b]) => b.checked).map(([id]) => id);
    const selection = picked.length ? { devices: picked } : { filter: Object.fromEntries([...filter.entries()].map(([k, v]) => [k, k === 'coupled' ? v === 'true' : v])) };
    try {
      const job = await api('POST', '/bulk-jobs', { operation: opSelect.value, body, ...selection });
      location.hash = `#/bulk?id=${encodeURIComponent(job.id)}`;
    } catch (e) { bulkError.textContent = e.message; }
  };
  show(
    h('h2', {}, 'Fleet'),
    h('form', { id: 'fleet-filter', class: 'card', onsubmit: (e) => {
      e.preventDefault();
      const n = new URLSearchParams();
      for (const k of FLEET_FILTERS) if (inputs[k].value.trim()) n.set(k, inputs[k].value.trim());
      location.hash = `#/fleet?${n}`;
    } }, inputs.q, ' ', inputs.type, ' ', inputs.owner, ' ', inputs.protocol, ' ', inputs.coupled, ' ', inputs.lastResult, ' ', h('button', { id: 'fleet-search', class: 'primary' }, 'Search')),
    h('p', {},
      h('span', { id: 'fleet-total', 'data-total': page.total }, `${page.total}${page.totalCapped ? '+' : ''} devices`), ` · ${tookMs} ms · `,
      page.previous ? h('a', { id: 'fleet-prev', href: to('before', page.previous) }, '‹ previous') : h('span', { class: 'muted' }, '‹ previous'), ' ',
      page.next ? h('a', { id: 'fleet-next', href: to('after', page.next) }, 'next ›') : h('span', { class: 'muted' }, 'next ›')),
    h('table', { id: 'fleet-table' },
      h('thead', {}, h('tr', {}, ['', 'Device', 'Type', 'Protocol', 'Owner', 'Coupled to', 'Last contact', 'Last result', 'Last request'].map((t) => h('th', {}, t)))),
      h('tbody', {}, page.devices.map(row))),
    h('section', { class: 'card' },
      h('h3', {}, 'Bulk job'),
      h('p', {}, 'Runs one operation on the ticked devices of this page, or, with none ticked, on every device the filter selects. The platform queues and throttles the requests; the job\'s progress is kept on the server.'),
      h('p', {}, opSelect, bodyLabel, firmwareLabelEl, ' ', h('button', { id: 'bulk-start', class: 'primary', onclick: startBulk }, 'Start bulk job')),
      bulkError),
  );
}

/** A firmware file as a picker shows it: identification, size, the device model it is for. */
const firmwareLabel = (f) => `${f.identification} (${f.size} bytes${f.manufacturer ? `, ${f.manufacturer} ${f.modelCode}` : ''})`;

// ------------------------------------------------------------------ bulk jobs

const BULK_ORDER = ['OK', 'NOT_OK', 'NOT_FOUND', 'REFUSED', 'RETRY', 'RUNNING', 'QUEUED', 'PENDING'];

function bulkProgressView(job) {
  const p = job.progress;
  const pct = (n) => (p.total ? (100 * n) / p.total : 0);
  const bad = p.counts.NOT_OK + p.counts.NOT_FOUND + p.counts.REFUSED;
  return h('div', { class: 'card bulk-progress', id: job.id ? 'bulk-progress' : undefined, 'data-complete': String(p.complete), 'data-finished': p.finished },
    h('div', {}, h('strong', {}, `${job.operation} (${job.messageType})`), ` · ${job.state} · ${Math.round(pct(p.finished))}% finished of ${p.total}`),
    h('div', { class: 'progress' },
      h('div', { class: 'done', style: { width: `${pct(p.counts.OK)}%` } }),
      h('div', { class: 'failed', style: { width: `${pct(bad)}%` } }),
      h('div', { class: 'running', style: { width: `${pct(p.counts.QUEUED + p.counts.RUNNING + p.counts.RETRY)}%` } })),
    h('p', { class: 'counts' }, BULK_ORDER.map((s) => h('span', { class: `${s} count`, 'data-state': s }, `${s} ${p.counts[s]} `))));
}

async function bulkPage(params) {
  const id = params.get('id');
  if (!id) {
    const { jobs } = await api('GET', '/bulk-jobs');
    show(h('h2', {}, 'Bulk jobs'),
      h('p', {}, 'Start one from the ', h('a', { href: '#/fleet' }, 'fleet'), ' page.'),
      jobs.length === 0 ? h('p', { class: 'muted' }, 'No bulk jobs yet.') :
        jobs.map((j) => h('div', {}, h('a', { href: `#/bulk?id=${encodeURIComponent(j.id)}` }, `${time(j.createdAt)} · ${j.id}`), bulkProgressView({ ...j, id: undefined }))));
    return;
  }
  const state = params.get('state') ?? '';
  const holder = h('div');
  const load = async () => {
    const job = await api('GET', `/bulk-jobs/${encodeURIComponent(id)}?limit=100${state ? `&state=${state}` : ''}`);
    put(holder,
      bulkProgressView(job),
      job.state === 'SUBMITTING' ? h('button', { id: 'bulk-cancel', onclick: async () => { await api('POST', `/bulk-jobs/${encodeURIComponent(id)}/cancel`); await load(); } }, 'stop submitting') : null,
      h('p', {}, 'Show ', ['', ...BULK_ORDER].map((s) => [h('a', { href: `#/bulk?id=${encodeURIComponent(id)}${s ? `&state=${s}` : ''}`, class: s === state ? 'current' : '' }, s || 'all'), ' '])),
      h('table', { id: 'bulk-items' }, h('tr', {}, ['#', 'Device', 'State', 'Code', 'Request'].map((t) => h('th', {}, t))),
        job.items.map((i) => h('tr', {}, h('td', {}, i.seq + 1), h('td', {}, i.deviceIdentification), h('td', { class: i.state }, i.state), h('td', {}, i.errorCode ?? ''),
          h('td', {}, i.correlationUid ? h('a', { href: `#/requests/${encodeURIComponent(i.correlationUid)}` }, 'timeline') : '')))),
    );
    return job.progress.complete;
  };
  const complete = await load();
  show(h('h2', {}, 'Bulk job'), holder);
  if (!complete) poll(async () => { if (await load()) stopPolling(); });
}

// ------------------------------------------------------------------ organisations

async function organisationsPage() {
  const { organisations } = await api('GET', '/organisations');
  const message = h('p', { id: 'org-message' });
  show(
    h('h2', {}, 'Organisations & authorisations'),
    message,
    organisations.map((o) => h('section', { class: 'card', 'data-organisation': o.identification },
      h('h3', {}, o.identification, ' ', h('span', { class: 'muted' }, `${o.name} · ${o.platformFunctionGroup} · ${o.enabled ? 'enabled' : 'disabled'}`)),
      session.admin ? h('div', {},
        o.identification !== session.organisationIdentification
          ? h('button', { onclick: async () => { try { await api('PATCH', `/organisations/${encodeURIComponent(o.identification)}`, { enabled: !o.enabled }); route(); } catch (e) { message.textContent = e.message; } } }, o.enabled ? 'disable' : 'enable')
          : null, ' ',
        h('button', { onclick: async () => {
          try {
            const t = await api('POST', `/organisations/${encodeURIComponent(o.identification)}/console-tokens`);
            put(message, `API token for ${o.identification} (shown once): `, h('code', {}, t.token));
          } catch (e) { message.textContent = e.message; }
        } }, 'issue API token'),
      ) : null,
      o.authorisations.length === 0 ? h('p', { class: 'muted' }, 'No device authorisations.') :
        h('table', {}, h('tr', {}, h('th', {}, 'Device'), h('th', {}, 'Function group')),
          o.authorisations.map((a) => h('tr', {}, h('td', {}, a.deviceIdentification), h('td', {}, a.functionGroup)))),
    )),
  );
}

// ------------------------------------------------------------------ audit

async function auditPage() {
  const a = await api('GET', '/audit?limit=200');
  show(
    h('h2', {}, 'Audit log'),
    h('h3', {}, 'Platform'),
    h('table', {}, h('tr', {}, ['Time', 'Event', 'Organisation', 'Device', 'Operation', 'Result', 'Code', 'Detail'].map((t) => h('th', {}, t))),
      a.platform.map((e) => h('tr', {}, h('td', {}, time(e.at)), h('td', {}, e.event), h('td', {}, e.organisationIdentification ?? ''), h('td', {}, e.deviceIdentification ?? ''),
        h('td', {}, e.messageType ?? ''), h('td', { class: e.result ?? '' }, e.result ?? ''), h('td', {}, e.errorCode ?? ''), h('td', {}, e.detail ?? '')))),
    h('h3', {}, 'Secret store (metadata only)'),
    h('table', {}, h('tr', {}, ['Time', 'Device', 'Type', 'Secret', 'Action', 'From', 'To', 'Actor', 'Reason'].map((t) => h('th', {}, t))),
      a.secrets.map((e) => h('tr', {}, h('td', {}, time(e.at)), h('td', {}, e.deviceIdentification ?? ''), h('td', {}, e.type ?? ''), h('td', {}, e.secretId ?? ''),
        h('td', {}, e.action), h('td', {}, e.fromStatus ?? ''), h('td', {}, e.toStatus ?? ''), h('td', {}, e.actor), h('td', {}, e.reason)))),
  );
}

// ------------------------------------------------------------------ fleet rekey

function progressView(p) {
  const pct = (n) => (p.total ? (100 * n) / p.total : 0);
  const finished = p.total ? Math.round(pct(p.done + p.failed)) : 100;
  return h('div', { class: 'card', id: 'rekey-progress', 'data-finished': finished },
    h('div', {}, `${finished}% — done ${p.done}, failed ${p.failed}, pending ${p.pending} of ${p.total}`),
    h('div', { class: 'progress' }, h('div', { class: 'done', style: { width: `${pct(p.done)}%` } }), h('div', { class: 'failed', style: { width: `${pct(p.failed)}%` } })),
    h('table', {}, h('tr', {}, ['Gateway', 'Channel', 'State', 'Code', 'Request'].map((t) => h('th', {}, t))),
      p.items.map((i) => h('tr', {}, h('td', {}, i.gatewayDeviceIdentification), h('td', {}, i.channel), h('td', { class: i.state }, i.state), h('td', {}, i.errorCode ?? ''),
        h('td', {}, i.correlationUid ? h('a', { href: `#/requests/${encodeURIComponent(i.correlationUid)}` }, 'timeline') : '')))),
  );
}

async function rekeyPage(params) {
  const running = params.get('id');
  if (running) {
    const holder = h('div');
    const load = async () => {
      const p = await api('GET', `/rekeys/${encodeURIComponent(running)}`);
      put(holder, progressView(p));
      return p.pending === 0;
    };
    const finished = await load();
    show(h('h2', {}, 'Fleet rekey'), holder);
    if (!finished) poll(async () => { if (await load()) stopPolling(); });
    return;
  }
  const { gateways } = await api('GET', '/gateways');
  const boxes = gateways.map((g) => ({ g, box: h('input', { type: 'checkbox', value: g.deviceIdentification, checked: true }) }));
  const error = h('p', { class: 'error' });
  show(
    h('h2', {}, 'Fleet rekey'),
    h('p', {}, 'Sets a new M-Bus user key (SetMbusUserKeyByChannel) on every coupled channel of the chosen gateways. The platform throttles the meter connections.'),
    h('table', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'Gateway'), h('th', {}, 'Coupled channels')),
      boxes.map(({ g, box }) => h('tr', {}, h('td', {}, box), h('td', {}, g.deviceIdentification), h('td', {}, g.channels.filter((c) => c.gMeter).map((c) => c.channel).join(', ') || '—')))),
    h('button', { class: 'primary', id: 'start-rekey', onclick: async () => {
      const chosen = boxes.filter((b) => b.box.checked).map((b) => b.g.deviceIdentification);
      if (chosen.length === 0) { error.textContent = 'Choose at least one gateway.'; return; }
      try {
        const r = await api('POST', '/rekeys', { gateways: chosen });
        location.hash = `#/rekey?id=${encodeURIComponent(r.id)}`;
      } catch (e) { error.textContent = e.message; }
    } }, 'Start rekey'),
    error,
  );
}


// ------------------------------------------------------------------ meter page

const EVENTS_PER_PAGE = 20;
const valueText = (v) => (v && typeof v === 'object' && 'value' in v && 'unit' in v ? `${v.value} ${v.unit}` : String(v ?? ''));

/** Whole Wh of a kWh decimal text ("12345.678" → 12345678), exact for GXF's three decimals. */
const wattHours = (text) => {
  const [i, f = ''] = String(text).split('.');
  return Number(i) * 1000 + Number((f + '000').slice(0, 3));
};
const kwhText = (wh) => `${Math.floor(wh / 1000)}.${String(wh % 1000).padStart(3, '0')}`;

/**
 * The 15-minute E profile of one day as plain SVG: one bar per interval, its height the import energy of that
 * interval (the difference of two consecutive ActiveEnergyImport readings), hours along the bottom.
 */
function intervalChart(entries) {
  const bars = [];
  for (let i = 1; i < entries.length; i++) {
    const a = entries[i - 1].activeEnergyImport;
    const b = entries[i].activeEnergyImport;
    if (!a || !b) continue;
    bars.push({ start: entries[i - 1].logTime, wh: wattHours(b.value) - wattHours(a.value) });
  }
  if (!bars.length) return h('p', { id: 'interval-chart', class: 'muted' }, 'No 15-minute entries in this day.');
  const W = 960; const H = 220; const left = 50; const bottom = 20; const top = 10;
  const max = Math.max(1, ...bars.map((x) => x.wh));
  const bw = (W - left) / 96;
  const day0 = Date.parse(bars[0].start.slice(0, 10) + 'T00:00:00Z');
  const xOf = (iso) => left + ((Date.parse(iso) - day0) / 900_000) * bw;
  const yOf = (wh) => top + (H - top - bottom) * (1 - wh / max);
  return svg('svg', { id: 'interval-chart', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': 'import energy per 15 minutes' },
    svg('line', { class: 'axis', x1: left, y1: H - bottom, x2: W, y2: H - bottom }),
    svg('text', { class: 'axis-label', x: 2, y: top + 10 }, `${kwhText(max)} kWh`),
    [0, 3, 6, 9, 12, 15, 18, 21].map((hr) => svg('text', { class: 'axis-label', x: left + hr * 4 * bw, y: H - 4 }, `${String(hr).padStart(2, '0')}:00`)),
    bars.map((x) => svg('rect', { class: 'bar', x: xOf(x.start).toFixed(1), y: yOf(Math.max(0, x.wh)).toFixed(1), width: (bw * 0.8).toFixed(1), height: (H - bottom - yOf(Math.max(0, x.wh))).toFixed(1), 'data-time': x.start, 'data-kwh': kwhText(Math.max(0, x.wh)) },
      svg('title', {}, `${x.start} ${kwhText(x.wh)} kWh`))));
}

async function meterPage(id) {
  const path = `/meters/${encodeURIComponent(id)}`;
  let meter = await api('GET', path);
  let filter = '';
  let page = 0;
  const message = h('p', { id: 'meter-message' });
  const reads = h('div', { id: 'meter-reads' });
  const alarms = h('div', { id: 'meter-alarms' });
  const events = h('div', { id: 'meter-events' });
  const interval = h('div', { id: 'meter-interval' });
  const keyRotation = h('div', { id: 'key-rotation' });
  const firmwareUpdate = h('div', { id: 'firmware-update' });
  const act = (body) => async () => {
    try {
      const r = await api('POST', `${path}/actions`, body);
      put(message, 'Submitted ', h('a', { href: `#/requests/${encodeURIComponent(r.correlationUid)}` }, r.messageType), ' — the page shows the result when it arrives.');
      if (body.action === 'rotate-keys' || body.action === 'update-firmware') {
        meter = await api('GET', path);
        renderChanges();
      }
    } catch (err) { put(message, h('span', { class: 'error' }, err.message)); }
  };
  const stamp = (x) => h('p', { class: 'muted' }, `${x.result} · ${time(x.at)} · `, h('a', { href: `#/requests/${encodeURIComponent(x.correlationUid)}` }, 'request'));
  const failed = (x) => (x.result !== 'OK' ? h('p', { class: 'error' }, x.error?.message ?? x.result) : null);

  const renderReads = () => {
    const x = meter.reads;
    if (!x) return put(reads, h('p', { class: 'muted' }, 'No actual reads yet.'));
    const d = x.data ?? {};
    put(reads, stamp(x), failed(x), x.result === 'OK' ? h('table', {},
      h('tr', {}, h('th', {}, 'Register'), h('th', {}, 'Value')),
      Object.entries(d).map(([k, v]) => h('tr', { 'data-field': k }, h('td', {}, k), h('td', {}, k === 'logTime' ? time(v) : valueText(v))))) : null);
  };
  const renderAlarms = () => {
    const x = meter.alarms;
    if (!x) return put(alarms, h('p', { class: 'muted' }, 'The alarm register has not been read yet.'));
    const set = x.data?.alarms ?? [];
    put(alarms, stamp(x), failed(x), x.result === 'OK'
      ? (set.length ? h('ul', { id: 'alarm-list' }, set.map((a) => h('li', {}, a))) : h('p', { id: 'alarm-list' }, 'No alarms set.'))
      : null);
  };
  const renderInterval = () => {
    const x = meter.interval;
    if (!x || (x.result === 'OK' && x.data?.periodType !== 'INTERVAL')) return put(interval, h('p', { class: 'muted' }, 'No 15-minute profile read yet.'));
    const entries = x.data?.periodicMeterReads ?? [];
    put(interval, stamp(x), failed(x), x.result === 'OK'
      ? [h('p', { id: 'interval-summary' }, entries.length ? `${entries.length} entries from ${time(entries[0].logTime)} to ${time(entries.at(-1).logTime)}` : 'No entries.'), intervalChart(entries)]
      : null);
  };
  const renderEvents = () => {
    const x = meter.events;
    if (!x) return put(events, h('p', { class: 'muted' }, 'No events read yet.'));
    if (x.result !== 'OK') return put(events, stamp(x), failed(x));
    const all = x.data?.events ?? [];
    const categories = [...new Set(all.map((e) => e.eventLogCategory))];
    const shown = filter ? all.filter((e) => e.eventLogCategory === filter) : all;
    const pages = Math.max(1, Math.ceil(shown.length / EVENTS_PER_PAGE));
    page = Math.min(page, pages - 1);
    const select = h('select', { id: 'event-filter', onchange: () => { filter = select.value; page = 0; renderEvents(); } },
      h('option', { value: '' }, 'all categories'), categories.map((c) => h('option', { value: c, selected: c === filter }, c)));
    put(events, stamp(x),
      h('p', {}, 'Category ', select, ' ',
        h('button', { id: 'events-prev', disabled: page === 0, onclick: () => { page--; renderEvents(); } }, '‹ newer'), ' ',
        h('span', { id: 'events-page' }, `page ${page + 1} of ${pages} · ${shown.length} events`), ' ',
        h('button', { id: 'events-next', disabled: page >= pages - 1, onclick: () => { page++; renderEvents(); } }, 'older ›')),
      h('table', { id: 'events-table' },
        h('tr', {}, ['Time', 'Code', 'Event', 'Log', 'Counter', 'Details'].map((t) => h('th', {}, t))),
        [...shown].reverse().slice(page * EVENTS_PER_PAGE, (page + 1) * EVENTS_PER_PAGE).map((e) => h('tr', { class: 'event' },
          h('td', {}, time(e.timestamp)), h('td', {}, e.eventCode), h('td', {}, e.eventType), h('td', {}, e.eventLogCategory),
          h('td', {}, e.eventCounter ?? ''), h('td', {}, (e.eventDetails ?? []).map((d) => `${d.name} ${d.value}`).join(', '))))));
  };

  /** A key rotation or firmware update from submission to its final result (and the image transfer's blocks). */
  const changeView = (x, what) => {
    if (!x) return h('p', { class: 'muted' }, `No ${what} requested by this organisation yet.`);
    const state = x.status === 'DONE' ? x.result : x.status;
    const t = x.transfer;
    return h('div', { class: 'change', 'data-state': state, 'data-correlation-uid': x.correlationUid },
      h('p', {}, h('span', { class: `${state} change-state` }, state), ` · requested ${time(x.createdAt)}`, x.completedAt ? ` · done ${time(x.completedAt)}` : '',
        ` · attempts ${x.attempts}, retries ${x.retries} · `, h('a', { href: `#/requests/${encodeURIComponent(x.correlationUid)}` }, 'request')),
      t && x.status !== 'DONE' ? h('div', { class: 'transfer' },
        h('div', {}, `${t.firmwareIdentification}: ${t.step}${t.blocks ? `, block ${t.nextBlock} of ${t.blocks}` : ''}`),
        t.blocks ? h('div', { class: 'progress' }, h('div', { class: 'running', style: { width: `${(100 * t.nextBlock) / t.blocks}%` } })) : null) : null,
      x.error ? h('p', { class: 'error' }, `${x.error.code} ${x.error.codeName}: ${x.error.message}`) : null,
      x.result === 'OK' && x.data?.firmwareVersions ? h('table', { class: 'firmware-versions' }, h('tr', {}, h('th', {}, 'Module'), h('th', {}, 'Version')),
        x.data.firmwareVersions.map((v) => h('tr', {}, h('td', {}, v.firmwareModuleType), h('td', {}, v.version)))) : null);
  };
  const renderChanges = () => {
    put(keyRotation, changeView(meter.keyRotation, 'key rotation'));
    put(firmwareUpdate, changeView(meter.firmwareUpdate, 'firmware update'));
  };
  const { firmwareFiles } = await api('GET', `/firmware-files?device=${encodeURIComponent(id)}`);
  const firmwarePick = h('select', { id: 'firmware-file' },
    firmwareFiles.length ? firmwareFiles.map((f) => h('option', { value: f.identification }, firmwareLabel(f))) : h('option', { value: '' }, 'no firmware file fits this meter'));

  const now = new Date();
  const category = h('select', { id: 'events-category' }, h('option', { value: '' }, 'every log of this meter'), meter.eventLogCategories.map((c) => h('option', { value: c }, c)));
  const from = h('input', { id: 'events-from', value: new Date(now.getTime() - 7 * 86_400_000).toISOString() });
  const until = h('input', { id: 'events-until', value: now.toISOString() });
  const day = h('input', { id: 'interval-day', type: 'date', value: new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10) });
  show(
    h('h2', {}, 'Meter ', id),
    h('p', {},
      h('button', { id: 'read-actual', onclick: act({ action: 'read-actual' }) }, 'read actual'), ' ',
      h('button', { id: 'read-alarms', onclick: act({ action: 'read-alarms' }) }, 'read alarm register'), ' ',
      h('button', { id: 'clear-alarms', onclick: act({ action: 'clear-alarms' }) }, 'clear alarm register')),
    message,
    h('section', { class: 'card' }, h('h3', {}, 'Latest reads'), reads),
    h('section', { class: 'card' }, h('h3', {}, '15-minute profile (UTC day)'),
      h('p', {}, day, ' ', h('button', { id: 'read-interval', onclick: () => act({ action: 'read-interval', day: day.value })() }, 'read the day')),
      interval),
    h('section', { class: 'card' }, h('h3', {}, 'Alarm register'), alarms),
    h('section', { class: 'card', id: 'meter-changes' }, h('h3', {}, 'Keys and firmware'),
      h('p', {}, h('button', { id: 'rotate-keys', onclick: act({ action: 'rotate-keys' }) }, 'Rotate keys'), ' ',
        h('span', { class: 'muted' }, 'new authentication and encryption keys, made by the platform and never shown (GenerateAndReplaceKeys)')),
      keyRotation,
      h('p', {}, firmwarePick, ' ', h('button', { id: 'update-firmware', disabled: firmwareFiles.length === 0,
        onclick: () => act({ action: 'update-firmware', firmwareIdentification: firmwarePick.value })() }, 'Update firmware'), ' ',
        h('span', { class: 'muted' }, 'transfers the image, verifies and activates it (UpdateFirmware)')),
      firmwareUpdate),
    h('section', { class: 'card' }, h('h3', {}, 'Events'),
      h('p', {}, category, ' from ', from, ' until ', until, ' ',
        h('button', { id: 'find-events', onclick: () => act({ action: 'find-events', ...(category.value ? { eventLogCategory: category.value } : {}), from: from.value, until: until.value })() }, 'find events')),
      events),
  );
  renderReads(); renderAlarms(); renderEvents(); renderInterval(); renderChanges();
  poll(async () => {
    const next = await api('GET', path);
    const changed = (a, b) => (a?.correlationUid ?? null) !== (b?.correlationUid ?? null);
    const was = meter;
    meter = next;
    if (changed(was.reads, next.reads)) renderReads();
    if (changed(was.alarms, next.alarms)) renderAlarms();
    if (changed(was.events, next.events)) renderEvents();
    if (changed(was.interval, next.interval)) renderInterval();
    if (JSON.stringify([was.keyRotation, was.firmwareUpdate]) !== JSON.stringify([next.keyRotation, next.firmwareUpdate])) renderChanges();
  });
}

// ------------------------------------------------------------------ router

async function signOut() {
  await api('DELETE', '/session').catch(() => undefined);
  session = null;
  location.hash = '';
  route();
}

async function route() {
  stopPolling();
  if (!session) session = await api('GET', '/session').catch(() => null);
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  if (!session) {
    nav.hidden = true;
    put(who);
    return signInPage();
  }
  nav.hidden = false;
  put(who, `${session.organisationIdentification}${session.admin ? ' (ADMIN)' : ''}`, h('button', { id: 'sign-out', onclick: signOut }, 'Sign out'));
  const [path, query] = (location.hash.slice(1) || '/gateways').split('?');
  const params = new URLSearchParams(query ?? '');
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('current', path.startsWith(a.getAttribute('href').slice(1)));
  try {
    if (path.startsWith('/requests/')) return await requestPage(decodeURIComponent(path.slice('/requests/'.length)));
    if (path.startsWith('/meters/')) return await meterPage(decodeURIComponent(path.slice('/meters/'.length)));
    switch (path) {
      case '/requests': return await requestsPage(params);
      case '/organisations': return await organisationsPage();
      case '/audit': return await auditPage();
      case '/rekey': return await rekeyPage(params);
      case '/fleet': return await fleetPage(params);
      case '/bulk': return await bulkPage(params);
      default: return await gatewaysPage();
    }
  } catch (err) {
    if (session) show(h('p', { class: 'error' }, err.message));
  }
}

window.addEventListener('hashchange', route);
signInFromLink().then((shown) => { if (!shown) route(); });

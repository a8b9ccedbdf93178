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

async function requestsPage(params) {
  const device = params.get('device') ?? '';
  const filter = h('input', { id: 'device-filter', placeholder: 'device identification', value: device });
  const body = h('tbody');
  const load = async () => {
    const { requests } = await api('GET', `/requests?limit=200${device ? `&device=${encodeURIComponent(device)}` : ''}`);
    put(body, ...requests.map(requestRow));
  };
  await load();
  show(
    h('h2', {}, 'Requests'),
    h('form', { onsubmit: (e) => { e.preventDefault(); location.hash = `#/requests?device=${encodeURIComponent(filter.value.trim())}`; } }, 'Filter by device ', filter, ' ', h('button', {}, 'Filter')),
    h('table', {}, h('thead', {}, h('tr', {}, ['Accepted', 'Operation', 'Device', 'Status', 'Result', 'Error', 'Attempts'].map((t) => h('th', {}, t)))), body),
  );
  poll(load);
}

async function requestPage(cid) {
  const view = h('div');
  const load = async () => {
    const { request: r, response, timeline } = await api('GET', `/requests/${encodeURIComponent(cid)}`);
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
    );
    return r.status === 'DONE';
  };
  const done = await load();
  show(h('h2', {}, 'Request'), view);
  if (!done) poll(async () => { if (await load()) stopPolling(); });
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

const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
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
  const act = (body) => async () => {
    try {
      const r = await api('POST', `${path}/actions`, body);
      put(message, 'Submitted ', h('a', { href: `#/requests/${encodeURIComponent(r.correlationUid)}` }, r.messageType), ' — the page shows the result when it arrives.');
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
    h('section', { class: 'card' }, h('h3', {}, 'Events'),
      h('p', {}, category, ' from ', from, ' until ', until, ' ',
        h('button', { id: 'find-events', onclick: () => act({ action: 'find-events', ...(category.value ? { eventLogCategory: category.value } : {}), from: from.value, until: until.value })() }, 'find events')),
      events),
  );
  renderReads(); renderAlarms(); renderEvents(); renderInterval();
  poll(async () => {
    const next = await api('GET', path);
    const changed = (a, b) => (a?.correlationUid ?? null) !== (b?.correlationUid ?? null);
    const was = meter;
    meter = next;
    if (changed(was.reads, next.reads)) renderReads();
    if (changed(was.alarms, next.alarms)) renderAlarms();
    if (changed(was.events, next.events)) renderEvents();
    if (changed(was.interval, next.interval)) renderInterval();
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
      default: return await gatewaysPage();
    }
  } catch (err) {
    if (session) show(h('p', { class: 'error' }, err.message));
  }
}

window.addEventListener('hashchange', route);
signInFromLink().then((shown) => { if (!shown) route(); });

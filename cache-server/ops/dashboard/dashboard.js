// The flightcache dashboard: polls /overview (cache-server/ops/overview.ts) once a second and draws
// members, datasets, read throughput and memory (uPlot) and recent errors. Plain DOM, no framework.
// With authentication on, /overview needs a bearer token: the page asks for one and keeps it for the
// browser tab only (sessionStorage).
'use strict';

const POLL_MS = Number(new URLSearchParams(location.search).get('interval') ?? 1000);
/** Samples the charts keep: five minutes at one a second. */
const WINDOW = 300;

const $ = (selector) => document.querySelector(selector);

/** 1536 -> "1.5 KiB". */
function bytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  for (; Math.abs(n) >= 1024 && i < units.length - 1; i++) n /= 1024;
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** A table cell with text (numbers right-aligned) and an optional class. */
function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = String(text);
  if (typeof text === 'number' || className === 'num') td.className = 'num';
  if (className && className !== 'num') td.className = className;
  return td;
}

/** Replaces a table's rows; each row gets data-key so tests and people can find it. */
function fill(table, rows) {
  const body = table.querySelector('tbody');
  body.replaceChildren(
    ...rows.map(([key, cells]) => {
      const tr = document.createElement('tr');
      tr.dataset.key = key;
      tr.append(...cells);
      return tr;
    }),
  );
}

function health(member) {
  if (member.live) return cell('live', 'ok');
  return member.state === 'up' ? cell('refilling', 'warn') : cell('down', 'bad');
}

function replication(d) {
  if (d.status === 'healthy' || d.status === 'stored') return cell(d.status === 'stored' ? 'stored' : `healthy (${d.partitions} partitions)`, 'ok');
  if (d.status === 'degraded') return cell(`degraded (${d.degraded} of ${d.partitions} partitions)`, 'warn');
  if (d.status === 'lost') return cell(`lost (${d.lost} of ${d.partitions} partitions)`, 'bad');
  return cell(d.status);
}

function loadCell(load) {
  const td = document.createElement('td');
  if (!load) return td;
  if (load.state === 'listing' || load.state === 'loading') {
    const bar = document.createElement('progress');
    bar.max = Math.max(load.bytesTotal, 1);
    bar.value = load.bytes;
    td.append(bar, ` ${load.files}/${load.filesTotal} files, ${load.rows} rows`);
  } else td.textContent = `${load.state}: ${load.rows} rows from ${load.files} files`;
  return td;
}

function chart(target, label, stroke) {
  return new uPlot(
    { width: 520, height: 220, series: [{}, { label, stroke, width: 2, value: (_, v) => (v === null ? '–' : bytes(v)) }], axes: [{}, { values: (_, ticks) => ticks.map(bytes), size: 70 }] },
    [[], []],
    target,
  );
}

const throughput = chart($('#throughput-chart'), 'read bytes/s', '#2563eb');
const memory = chart($('#memory-chart'), 'memory used', '#16a34a');
const series = { time: [], rate: [], used: [] };
let previous;

function render(o) {
  $('#role').textContent = o.role;
  $('#updated').textContent = `updated ${new Date(o.time).toLocaleTimeString()}`;
  $('#members-section').hidden = o.role !== 'coordinator';
  fill(
    $('#members'),
    o.members.map((m) => [
      m.id,
      [cell(m.id), cell(m.location), health(m), cell(m.tier ?? '–'), cell(m.usedBytes === undefined ? '–' : `${bytes(m.usedBytes)} / ${bytes(m.limitBytes)}`, 'num'), cell(m.datasets ?? '–', 'num')],
    ]),
  );
  fill(
    $('#datasets'),
    o.datasets.map((d) => [d.name, [cell(d.name), cell(d.rows), cell(bytes(d.bytes), 'num'), cell(d.tiers.join(', ') || '–'), replication(d), loadCell(d.load)]]),
  );
  $('#errors').replaceChildren(
    ...o.errors.map((e) => {
      const li = document.createElement('li');
      li.textContent = `${new Date(e.time).toLocaleTimeString()} ${e.what} ${e.code}: ${e.message}`;
      return li;
    }),
  );
  const rate = previous ? Math.max(0, ((o.traffic.sentBytes - previous.traffic.sentBytes) * 1000) / Math.max(o.time - previous.time, 1)) : 0;
  previous = o;
  series.time.push(o.time / 1000);
  series.rate.push(rate);
  series.used.push(o.memory.usedBytes);
  for (const list of Object.values(series)) if (list.length > WINDOW) list.shift();
  throughput.setData([series.time, series.rate]);
  memory.setData([series.time, series.used]);
  $('#read-rate').textContent = `${bytes(Math.round(rate))}/s`;
  $('#read-rate').dataset.bytesPerSecond = String(rate);
  $('#memory-now').textContent = `${bytes(o.memory.usedBytes)} of ${bytes(o.memory.limitBytes)}`;
}

async function poll() {
  const token = sessionStorage.getItem('flightcache-token');
  try {
    const response = await fetch('/overview', { headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (response.status === 401) {
      // Polling waits for a token: a refused one is not sent again.
      $('#login').hidden = false;
      $('#updated').textContent = token ? 'token refused' : 'token needed';
      return;
    } else if (!response.ok) $('#updated').textContent = `error: HTTP ${response.status}`;
    else {
      $('#login').hidden = true;
      render(await response.json());
    }
  } catch (err) {
    $('#updated').textContent = `unreachable: ${err.message}`;
  }
  setTimeout(poll, POLL_MS);
}

$('#login').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem('flightcache-token', $('#token').value);
  poll();
});

poll();

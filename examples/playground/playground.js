// The playground page: controls, data, and drawing. Training runs in worker.js (wasmgrad in a Web
// Worker), so this thread only draws the frames the worker posts and never stalls.
import { rng } from './rng.js';
const $ = (id) => document.getElementById(id);

// ---- the configuration, its defaults and the URL hash ------------------------------------------

const FEATURES = [
  { key: 'x1', label: 'x₁', f: (a) => a },
  { key: 'x2', label: 'x₂', f: (_, b) => b },
  { key: 'x1sq', label: 'x₁²', f: (a) => a * a },
  { key: 'x2sq', label: 'x₂²', f: (_, b) => b * b },
  { key: 'x1x2', label: 'x₁x₂', f: (a, b) => a * b },
  { key: 'sinx1', label: 'sin x₁', f: (a) => Math.sin(a) },
  { key: 'sinx2', label: 'sin x₂', f: (_, b) => Math.sin(b) },
];
const DATASETS = { classification: ['circle', 'xor', 'gauss', 'spiral'], regression: ['plane', 'gaussians'] };
const DEFAULTS = {
  problem: 'classification', dataset: 'circle', ratio: 50, noise: 0, points: 1000, seed: 1,
  optimizer: 'adam', learningRate: 0.01, activation: 'tanh', batchSize: 10, regularization: 'none', regularizationRate: 0,
  dropout: 0, batchNorm: false, layers: [4, 2], features: ['x1', 'x2'], showTest: false,
};
const SELECTS = ['problem', 'optimizer', 'learningRate', 'activation', 'batchSize', 'regularization', 'regularizationRate', 'dropout', 'points'];
const NUMBERS = ['learningRate', 'batchSize', 'regularizationRate', 'dropout', 'points', 'ratio', 'noise', 'seed'];

// The values each control offers: a hash may hold anything, and only these get through.
const CHOICES = {
  learningRate: [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3], batchSize: [1, 10, 32, 64, 128],
  regularizationRate: [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1], dropout: [0, 0.1, 0.2, 0.3, 0.5], points: [200, 500, 1000],
  ratio: [10, 20, 30, 40, 50, 60, 70, 80, 90], noise: [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50],
  problem: ['classification', 'regression'], optimizer: ['sgd', 'momentum', 'adam'], activation: ['relu', 'tanh', 'sigmoid', 'linear', 'gelu'],
  regularization: ['none', 'L1', 'L2'],
};

function fromHash() {
  const cfg = structuredClone(DEFAULTS);
  const p = new URLSearchParams(location.hash.slice(1));
  for (const [k, v] of p) {
    if (!Object.hasOwn(cfg, k)) continue;
    if (k === 'layers') cfg.layers = v === '' ? [] : v.split(',').map(Number).filter((n) => Number.isInteger(n) && n >= 1 && n <= 8).slice(0, 6);
    else if (k === 'features') cfg.features = FEATURES.map((f) => f.key).filter((key) => v.split(',').includes(key)); // the page's order, once each
    else if (k === 'batchNorm' || k === 'showTest') cfg[k] = v === '1';
    else if (k === 'seed') { const n = Number(v); if (Number.isInteger(n) && n >= 1 && n <= 99999) cfg.seed = n; }
    else if (k === 'dataset') cfg.dataset = v;
    else if (Object.hasOwn(CHOICES, k)) {
      const value = NUMBERS.includes(k) ? Number(v) : v;
      if (CHOICES[k].includes(value)) cfg[k] = value;
    }
  }
  if (!DATASETS[cfg.problem].includes(cfg.dataset)) cfg.dataset = DATASETS[cfg.problem][0];
  if (cfg.features.length === 0) cfg.features = ['x1', 'x2'];
  return cfg;
}

function toHash(cfg) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(cfg)) p.set(k, Array.isArray(v) ? v.join(',') : typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  return p.toString();
}

let cfg = fromHash();

// ---- data: the TensorFlow Playground's data sets, seeded ---------------------------------------

function generate({ dataset, points: n, noise, seed }) {
  const r = rng(seed), u = (a, b) => a + (b - a) * r();
  const normal = (mean, sd) => mean + sd * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const nz = noise / 100, out = [];
  if (dataset === 'circle') {
    const R = 5;
    for (let i = 0; i < n; i++) {
      const inner = i < n / 2, rad = inner ? u(0, R * 0.5) : u(R * 0.7, R), ang = u(0, 2 * Math.PI);
      const x = rad * Math.sin(ang), y = rad * Math.cos(ang), nx = u(-R, R) * nz, ny = u(-R, R) * nz;
      out.push([x + nx, y + ny, Math.hypot(x + nx, y + ny) < R * 0.5 ? 1 : 0]);
    }
  } else if (dataset === 'xor') {
    for (let i = 0; i < n; i++) {
      let x = u(-5, 5), y = u(-5, 5);
      x += x > 0 ? 0.3 : -0.3; y += y > 0 ? 0.3 : -0.3;
      const nx = u(-5, 5) * nz, ny = u(-5, 5) * nz;
      out.push([x + nx, y + ny, (x + nx) * (y + ny) >= 0 ? 1 : 0]);
    }
  } else if (dataset === 'gauss') {
    const sd = 0.5 + 3.5 * nz;
    for (let i = 0; i < n; i++) { const pos = i < n / 2, c = pos ? 2 : -2; out.push([normal(c, sd), normal(c, sd), pos ? 1 : 0]); }
  } else if (dataset === 'spiral') {
    for (const [delta, label] of [[0, 1], [Math.PI, 0]]) {
      for (let i = 0; i < n / 2; i++) {
        const rad = (i / (n / 2)) * 5, t = (1.75 * i / (n / 2)) * 2 * Math.PI + delta;
        out.push([rad * Math.sin(t) + u(-1, 1) * nz * 5, rad * Math.cos(t) + u(-1, 1) * nz * 5, label]);
      }
    }
  } else if (dataset === 'plane') {
    for (let i = 0; i < n; i++) { const x = u(-6, 6), y = u(-6, 6); out.push([x, y, (x + y) / 12 + u(-1, 1) * nz]); }
  } else {
    const g = [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]];
    for (let i = 0; i < n; i++) {
      const x = u(-6, 6), y = u(-6, 6);
      const v = g.reduce((s, [cx, cy, sign]) => s + sign * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 2), 0);
      out.push([x, y, Math.max(-1, Math.min(1, v)) + u(-1, 1) * nz]);
    }
  }
  // A seeded shuffle, then the split.
  for (let i = out.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [out[i], out[j]] = [out[j], out[i]]; }
  const nTest = Math.round(out.length * cfg.ratio / 100);
  return { test: out.slice(0, nTest), train: out.slice(nTest) };
}

const asArrays = (pts) => ({
  x: pts.flatMap(([a, b]) => cfg.features.map((k) => FEATURES.find((f) => f.key === k).f(a, b))),
  y: pts.map((p) => p[2]),
});

// ---- colours and heat maps ------------------------------------------------------------------------

const NEG = [245, 147, 34], POS = [8, 119, 189], MID = [232, 234, 235];
function colour(v) { // v in [-1, 1]
  const t = Math.max(-1, Math.min(1, v)), [a, b] = t < 0 ? [MID, NEG] : [MID, POS], k = Math.abs(t);
  return [a[0] + (b[0] - a[0]) * k, a[1] + (b[1] - a[1]) * k, a[2] + (b[2] - a[2]) * k];
}

// Draws grid × grid values (rows top to bottom) onto a canvas of that size; `scale` maps a value to [-1, 1].
function heat(canvas, values, grid, scale) {
  if (canvas.width !== grid) { canvas.width = grid; canvas.height = grid; }
  const ctx = canvas.getContext('2d'), img = ctx.createImageData(grid, grid);
  for (let i = 0; i < grid * grid; i++) {
    const [r, g, b] = colour(scale(values[i]));
    img.data[i * 4] = r; img.data[i * 4 + 1] = g; img.data[i * 4 + 2] = b; img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

const unitScale = (values, activation) => {
  if (activation === 'tanh') return (v) => v;
  if (activation === 'sigmoid') return (v) => 2 * v - 1;
  let m = 1e-6;
  for (const v of values) m = Math.max(m, Math.abs(v));
  return (v) => v / m;
};

// ---- the network view ------------------------------------------------------------------------------

let columns = []; // per column: the unit canvases
function buildNetworkView() {
  const root = $('columns');
  root.replaceChildren();
  columns = [];
  const grid = 24;
  // Inputs: one toggle per feature, showing the feature itself.
  const inputs = document.createElement('div');
  inputs.className = 'column';
  inputs.innerHTML = '<div class="head">Features<br><span class="grad">click to use</span></div>';
  const inputUnits = [];
  for (const f of FEATURES) {
    const on = cfg.features.includes(f.key);
    const b = document.createElement('button');
    b.className = 'feature'; b.setAttribute('aria-pressed', String(on)); b.title = `Feature ${f.label}`;
    b.setAttribute('aria-label', `Feature ${f.label}`);
    b.style.cssText = 'padding:0;border:none;background:none;display:flex;align-items:center;gap:.3rem;opacity:' + (on ? 1 : 0.35);
    const c = document.createElement('canvas');
    c.className = 'unit input';
    const values = new Float32Array(grid * grid);
    let m = 1e-6;
    for (let r = 0; r < grid; r++) for (let k = 0; k < grid; k++) { const v = f.f(-6 + 12 * (k + 0.5) / grid, 6 - 12 * (r + 0.5) / grid); values[r * grid + k] = v; m = Math.max(m, Math.abs(v)); }
    heat(c, values, grid, (v) => v / m);
    b.append(c, Object.assign(document.createElement('span'), { textContent: f.label }));
    b.onclick = () => {
      const next = on ? cfg.features.filter((k) => k !== f.key) : [...cfg.features, f.key];
      if (next.length === 0) return;
      cfg.features = FEATURES.map((x) => x.key).filter((k) => next.includes(k));
      changed();
    };
    inputs.append(b);
    if (on) inputUnits.push(c);
  }
  root.append(inputs);
  columns.push(inputUnits);
  cfg.layers.forEach((units, li) => {
    const col = document.createElement('div');
    col.className = 'column';
    const head = document.createElement('div');
    head.className = 'head';
    const plus = Object.assign(document.createElement('button'), { textContent: '+', title: 'More units' });
    const minus = Object.assign(document.createElement('button'), { textContent: '−', title: 'Fewer units' });
    plus.setAttribute('aria-label', `Add a unit to layer ${li + 1}`); minus.setAttribute('aria-label', `Remove a unit from layer ${li + 1}`);
    plus.onclick = () => { if (cfg.layers[li] < 8) { cfg.layers[li]++; changed(); } };
    minus.onclick = () => { if (cfg.layers[li] > 1) { cfg.layers[li]--; changed(); } };
    const btns = document.createElement('span');
    btns.append(plus, ' ', minus);
    head.append(btns, Object.assign(document.createElement('span'), { textContent: `${units} unit${units > 1 ? 's' : ''}` }));
    col.append(head);
    const cells = [];
    for (let u = 0; u < units; u++) { const c = document.createElement('canvas'); c.className = 'unit'; c.width = c.height = 1; col.append(c); cells.push(c); }
    col.append(Object.assign(document.createElement('div'), { className: 'grad', id: `grad${li}`, title: 'Gradient norm of the weights into this layer' }));
    root.append(col);
    columns.push(cells);
  });
  const out = document.createElement('div');
  out.className = 'column';
  out.innerHTML = '<div class="head">Output</div>';
  const oc = document.createElement('canvas');
  oc.className = 'unit'; oc.width = oc.height = 1;
  out.append(oc, Object.assign(document.createElement('div'), { className: 'grad', id: `grad${cfg.layers.length}` }));
  root.append(out);
  columns.push([oc]);
}

function drawLinks(weights) {
  const net = $('network'), canvas = $('links'), box = net.getBoundingClientRect();
  canvas.width = net.scrollWidth; canvas.height = net.scrollHeight;
  canvas.style.width = `${canvas.width}px`; canvas.style.height = `${canvas.height}px`;
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const centre = (el, side) => { const r = el.getBoundingClientRect(); return [r.left - box.left + net.scrollLeft + (side ? r.width : 0), r.top - box.top + r.height / 2]; };
  weights.forEach((w, li) => {
    const from = columns[li], to = columns[li + 1];
    if (!from || !to) return;
    let m = 1e-6;
    for (const v of w.data) m = Math.max(m, Math.abs(v));
    for (let i = 0; i < from.length; i++) {
      for (let j = 0; j < to.length; j++) {
        const v = w.data[i * w.shape[1] + j];
        const [x0, y0] = centre(from[i], true), [x1, y1] = centre(to[j], false);
        const [r, g, b] = colour(v / m);
        ctx.strokeStyle = `rgb(${r | 0},${g | 0},${b | 0})`;
        ctx.lineWidth = 0.5 + 3.5 * Math.abs(v) / m;
        ctx.beginPath(); ctx.moveTo(x0, y0);
        ctx.bezierCurveTo((x0 + x1) / 2, y0, (x0 + x1) / 2, y1, x1, y1);
        ctx.stroke();
      }
    }
  });
}

// ---- the output, points and losses ---------------------------------------------------------------

let data = null;
function drawBoundary(frame) {
  const canvas = $('boundary'), ctx = canvas.getContext('2d'), W = canvas.width;
  const off = document.createElement('canvas');
  const scale = cfg.problem === 'classification' ? (v) => 2 * v - 1 : (v) => v;
  heat(off, frame.output, frame.grid, scale);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, W, W);
  const dot = ([x, y, label], stroke) => {
    const px = (x + 6) / 12 * W, py = (6 - y) / 12 * W;
    const [r, g, b] = colour(cfg.problem === 'classification' ? 2 * label - 1 : label);
    ctx.fillStyle = `rgb(${r | 0},${g | 0},${b | 0})`; ctx.strokeStyle = stroke; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.arc(px, py, 3, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
  };
  for (const p of data.train) dot(p, '#fff');
  if (cfg.showTest) for (const p of data.test) dot(p, '#000');
}

function drawLosses(history) {
  const canvas = $('losses'), ctx = canvas.getContext('2d'), W = canvas.width, H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  if (history.length < 2) return;
  const top = Math.max(1e-3, ...history.map(([, a, b]) => Math.max(a || 0, b || 0)));
  for (const [k, colour_] of [[1, '#999'], [2, '#000']]) {
    ctx.strokeStyle = colour_; ctx.lineWidth = 1.5; ctx.beginPath();
    history.forEach((h, i) => { const x = (i / (history.length - 1)) * W, y = H - (Math.min(h[k], top) / top) * (H - 4) - 2; i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
    ctx.stroke();
  }
}

let latest = null, drawn = null, generation = 0, framesDrawn = 0;
function draw() {
  requestAnimationFrame(draw);
  if (!latest || latest === drawn) return;
  const f = latest;
  drawn = f;
  document.documentElement.dataset.frames = String(++framesDrawn);
  $('epoch').textContent = f.epoch.toLocaleString('en');
  for (const [id, v] of [['trainLoss', f.trainLoss], ['testLoss', f.testLoss]]) { $(id).textContent = Number.isFinite(v) ? v.toFixed(3) : '–'; $(id).dataset.value = String(v); }
  $('speed').textContent = Math.round(f.stepsPerSecond).toLocaleString('en');
  drawBoundary(f);
  drawLosses(f.history);
  f.hidden.forEach((values, li) => {
    const g = f.grid, units = values.length / (g * g), cells = columns[li + 1];
    if (!cells || cells.length !== units) return;
    for (let u = 0; u < units; u++) {
      const one = new Float32Array(g * g);
      for (let i = 0; i < g * g; i++) one[i] = values[i * units + u];
      heat(cells[u], one, g, unitScale(one, cfg.activation));
    }
  });
  heat(columns[columns.length - 1][0], f.output, f.grid, cfg.problem === 'classification' ? (v) => 2 * v - 1 : (v) => v);
  const maxNorm = Math.max(1e-12, ...f.gradNorms);
  f.gradNorms.forEach((n, li) => {
    const el = $(`grad${li}`);
    if (!el) return;
    el.innerHTML = `‖∇‖ ${n.toExponential(1)}<div class="gradbar" style="width:${Math.max(2, 40 * n / maxNorm)}px"></div>`;
  });
  drawLinks(f.weights);
}
requestAnimationFrame(draw);

// ---- the worker and the controls -----------------------------------------------------------------

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let ready = false, playing = false;
worker.onerror = (e) => { $('error').textContent = `The worker failed: ${e.message}`; document.title = 'error'; };
worker.onmessage = ({ data: m }) => {
  if (m.type === 'ready') { ready = true; for (const id of ['play', 'step', 'reset']) $(id).disabled = false; reset(); document.documentElement.dataset.ready = '1'; }
  else if (m.type === 'frame') { if (m.generation === generation) latest = m; } // a frame of an older network is dropped
  else if (m.type === 'error') { $('error').textContent = m.message; setPlaying(false); }
};

function setPlaying(on) {
  playing = on;
  $('play').textContent = on ? '❚❚ Pause' : '▶ Play';
  $('play').setAttribute('aria-label', on ? 'Pause' : 'Play');
  worker.postMessage({ type: on ? 'play' : 'pause' });
}

function reset() {
  if (!ready) return;
  const wasPlaying = playing;
  if (playing) setPlaying(false);
  data = generate(cfg);
  $('error').textContent = '';
  latest = null;
  generation++;
  worker.postMessage({ type: 'setup', cfg: { ...cfg, generation, layers: cfg.layers.slice(), features: cfg.features.slice() }, data: { train: asArrays(data.train), test: asArrays(data.test) } });
  if (wasPlaying) setPlaying(true);
}

// Every control reflects cfg; a change updates cfg, the hash, the view, and resets the network.
function syncControls() {
  for (const id of SELECTS) $(id).value = String(cfg[id]);
  $('ratio').value = cfg.ratio; $('ratioOut').textContent = cfg.ratio;
  $('noise').value = cfg.noise; $('noiseOut').textContent = cfg.noise;
  $('seed').value = cfg.seed;
  $('batchNorm').checked = cfg.batchNorm; $('showTest').checked = cfg.showTest;
  const ds = $('datasets');
  ds.replaceChildren(...DATASETS[cfg.problem].map((name) => {
    const b = Object.assign(document.createElement('button'), { textContent: name });
    b.setAttribute('aria-pressed', String(name === cfg.dataset));
    b.onclick = () => { cfg.dataset = name; changed(); };
    return b;
  }));
  $('addLayer').disabled = cfg.layers.length >= 6;
  $('removeLayer').disabled = cfg.layers.length === 0;
  buildNetworkView();
}

function changed({ resetNetwork = true } = {}) {
  history.replaceState(null, '', `#${toHash(cfg)}`);
  syncControls();
  if (resetNetwork) reset();
  else if (latest) { drawn = null; }
}

for (const id of SELECTS) {
  $(id).onchange = () => {
    const v = $(id).value;
    cfg[id] = NUMBERS.includes(id) ? Number(v) : v;
    if (id === 'problem') cfg.dataset = DATASETS[cfg.problem][0];
    changed();
  };
}
for (const id of ['ratio', 'noise']) $(id).oninput = () => { cfg[id] = Number($(id).value); changed(); };
$('seed').onchange = () => { const v = Math.max(1, Math.floor(Number($('seed').value) || 1)); cfg.seed = v; changed(); };
$('batchNorm').onchange = () => { cfg.batchNorm = $('batchNorm').checked; changed(); };
$('showTest').onchange = () => { cfg.showTest = $('showTest').checked; changed({ resetNetwork: false }); };
$('regenerate').onclick = () => { cfg.seed += 1; changed(); };
$('addLayer').onclick = () => { if (cfg.layers.length < 6) { cfg.layers.push(2); changed(); } };
$('removeLayer').onclick = () => { if (cfg.layers.length > 0) { cfg.layers.pop(); changed(); } };
for (const id of ['play', 'step', 'reset']) $(id).disabled = true; // until the worker has loaded wasmgrad
$('play').onclick = () => setPlaying(!playing);
$('step').onclick = () => { if (playing) setPlaying(false); worker.postMessage({ type: 'step' }); };
$('reset').onclick = () => reset();
addEventListener('keydown', (e) => {
  // Not while a control has the focus: Space and Enter belong to it (a focused button is pressed by them).
  const t = e.target;
  if (t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLButtonElement || e.ctrlKey || e.metaKey || e.altKey || !ready) return;
  if (e.key === ' ') { e.preventDefault(); setPlaying(!playing); }
  else if (e.key === 's') $('step').click();
  else if (e.key === 'r') reset();
});
addEventListener('hashchange', () => { const next = fromHash(); if (toHash(next) !== toHash(cfg)) { cfg = next; syncControls(); reset(); } });
addEventListener('resize', () => { drawn = null; });
syncControls();

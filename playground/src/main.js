// The optimfs.h playground: pick an objective, optimizers and their hyperparameters, a
// schedule, a start; watch the paths. The menus and fields come from the header's own
// tables (through play.c), every run is the header's code in double, and every refusal
// is the header's sentence.
import { select } from 'd3-selection';
import { scaleLinear, scaleLog, scaleSymlog } from 'd3-scale';
import { axisBottom, axisLeft } from 'd3-axis';
import { contours } from 'd3-contour';
import { line } from 'd3-shape';
import { interpolateYlGnBu, schemeTableau10, schemeDark2 } from 'd3-scale-chromatic';
import { loadHeader } from './wasm.js';
import { parseHash, hashOf, num } from './state.js';
import presets from './presets.json';

// The view of each objective (a box around its interesting part); a start outside it
// widens it. An objective the table does not know gets [-5, 5] (1-D: x in [-5, 5]).
const VIEWS = {
  square: [-3, 3], xcos: [-13, 13], cosh: [-5, 5], tanh: [-4, 4], cube: [-2, 2],
  saddle: [-2, 2, -2, 2], quad: [-5.5, 1.5, -3, 3], rosenbrock: [-2, 2, -1, 3], beale: [-4.5, 4.5, -4.5, 4.5],
  himmelblau: [-5, 5, -5, 5], rotated: [-6, 6, -6, 6],
};
const START = { rosenbrock: ['-1.2', '1'], beale: ['1', '1.5'], himmelblau: ['0', '0'], quad: ['-5', '-2'],
  rotated: ['-2.1213203435596428', '-4.9497474683058327'], saddle: ['-1.5', '0.01'], square: ['2.5'], xcos: ['10'],
  cosh: ['4'], tanh: ['-3'], cube: ['1.5'] };
// Sliders for the fields whose ranges are known (log: a log10 slider); others get a number field only.
const SLIDERS = {
  lr: ['log', 1e-5, 10], weight_decay: ['log', 1e-6, 10], eps: ['log', 1e-16, 1], eps_root: ['log', 1e-16, 1],
  lr_decay: ['log', 1e-6, 1], initial_accumulator_value: ['log', 1e-8, 10], momentum_decay: ['log', 1e-4, 1],
  step_size_min: ['log', 1e-8, 1], step_size_max: ['log', 1e-2, 1e3], lambd: ['log', 1e-6, 1], t0: ['log', 1, 1e6],
  momentum: ['lin', 0, 0.999], dampening: ['lin', 0, 1], alpha: ['lin', 0, 0.999], rho: ['lin', 0, 1],
  beta1: ['lin', 0, 0.999], beta2: ['lin', 0.9, 0.9999], etaminus: ['lin', 0.01, 0.99], etaplus: ['lin', 1.01, 3],
  warmup_steps: ['lin', 0, 500], r: ['lin', 0, 8], weight_lr_power: ['lin', 0, 8],
  // schedules
  gamma: ['lin', 0.01, 1], eta_min: ['log', 1e-6, 1], factor: ['lin', 0.01, 1], start_factor: ['lin', 0, 1],
  end_factor: ['lin', 0, 1], power: ['lin', 0, 4], pct_start: ['lin', 0, 1], warmup_start: ['lin', 0, 1],
  base_momentum: ['lin', 0, 0.999], max_momentum: ['lin', 0, 0.999], decay_fraction: ['lin', 0.01, 1],
};
const COLORS = [...schemeTableau10, ...schemeDark2, '#000000', '#7f7f7f', '#bcbd22', '#17becf', '#aec7e8', '#ffbb78'];
const $ = (id) => document.getElementById(id);

let H;            // the header's tables and calls
let st;           // the state (texts)
let result;       // the last run
let anim = { id: 0, t0: 0, p: 1 };

function objOf(name) { return H.objectives.find((o) => o.name === name); }
function optOf(name) { return H.optimizers.find((o) => o.name === name); }
function schedOf(name) { return H.schedules.find((s) => s.name === name); }

// Fill what a state leaves out with the defaults of the header (PyTorch's), so that the
// URL always says everything; values present are kept as they are.
function complete(s) {
  const o = objOf(s.f) ? s.f : 'rosenbrock';
  const obj = objOf(o);
  const out = { ...s, f: s.f || o };
  out.a = obj && obj.readsA ? (s.a ?? num(obj.a)) : s.a;
  out.b = obj && obj.readsB ? (s.b ?? num(obj.b)) : s.b;
  out.x = s.x ?? (START[out.f] || (obj && obj.dim === 1 ? ['1'] : ['1', '1']));
  out.steps = s.steps ?? '200';
  out.noise = s.noise ?? '0';
  out.seed = s.seed ?? '1';
  out.sched = s.sched ?? 'constant';
  out.fit = s.fit ?? '1';
  const sk = schedOf(out.sched);
  out.s = {};
  if (sk)
    for (const f of sk.fields) {
      if (out.fit !== '0' && f.name === sk.fitted) continue;
      if (f.name in s.s) out.s[f.name] = s.s[f.name];
      else if (f.type !== 'm' && f.type !== 'v') out.s[f.name] = num(f.def);
    }
  for (const [k, v] of Object.entries(s.s)) if (!(k in out.s) && !(sk && out.fit !== '0' && k === sk.fitted)) out.s[k] = v;
  out.o = s.o.map((r) => {
    const od = optOf(r.name);
    const p = {};
    if (od) for (const f of od.fields) p[f.name] = r.p[f.name] ?? num(f.def);
    for (const [k, v] of Object.entries(r.p)) if (!(k in p)) p[k] = v;
    return { name: r.name, p };
  });
  return out;
}

function stateFromHash() {
  const h = location.hash.replace(/^#/, '');
  let s = parseHash(h || 'p=race');
  let preset = '';
  if (s.p !== null) {
    const p = presets.find((q) => q.id === s.p) || presets[0];
    preset = p.id;
    s = parseHash(p.state);
  }
  return { s: complete(s), preset };
}

// ---------------------------------------------------------------- the controls

function fieldRow(parent, name, value, onChange, opts = {}) {
  const row = select(parent).append('div').attr('class', 'field').attr('data-field', name);
  row.append('label').text(name).attr('title', opts.title || '');
  if (opts.flag) {
    const cb = row.append('input').attr('type', 'checkbox').attr('class', 'flag').attr('aria-label', name)
      .property('checked', value === '1');
    cb.on('change', () => onChange(cb.property('checked') ? '1' : '0'));
    if (value !== '0' && value !== '1') {   // a flag the URL set to something else: shown as typed
      row.append('input').attr('type', 'text').attr('class', 'num').property('value', value)
        .on('input', function () { onChange(this.value); });
    }
  } else {
    const spec = SLIDERS[name];
    let slider = null;
    const box = row.append('input').attr('type', 'text').attr('inputmode', 'decimal').attr('class', 'num')
      .attr('aria-label', name).property('value', value);
    if (spec && !opts.noSlider) {
      const [kind, lo, hi] = spec;
      const toPos = (v) => (kind === 'log' ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))
                                          : (v - lo) / (hi - lo));
      const fromPos = (p) => (kind === 'log' ? 10 ** (Math.log10(lo) + p * (Math.log10(hi) - Math.log10(lo))) : lo + p * (hi - lo));
      slider = row.insert('input', 'input.num').attr('type', 'range').attr('min', 0).attr('max', 1000).attr('step', 1)
        .attr('aria-label', name + ' slider');
      const place = (t) => { const v = Number(t); if (t !== '' && Number.isFinite(v)) slider.property('value', Math.round(1000 * Math.min(1, Math.max(0, toPos(v))))); };
      place(value);
      slider.on('input', () => {
        const v = Number(fromPos(slider.property('value') / 1000).toPrecision(kind === 'log' ? 2 : 4));
        box.property('value', num(v));
        onChange(num(v));
      });
      box.on('input', function () { place(this.value); onChange(this.value); });
    } else box.on('input', function () { onChange(this.value); });
    if (opts.disabled) { box.property('disabled', true); if (slider) slider.property('disabled', true); }
  }
  row.append('span').attr('class', 'err').attr('data-err', name);
  return row;
}

function buildControls() {
  const c = $('controls');
  c.innerHTML = '';
  const sec = (title) => { const s = select(c).append('section'); s.append('h2').text(title); return s; };

  // Objective
  const so = sec('Objective');
  const fsel = so.append('select').attr('id', 'objective').attr('aria-label', 'objective');
  for (const o of H.objectives) fsel.append('option').attr('value', o.name).text(`${o.name}${o.dim === 1 ? ' (1-D)' : ''}`);
  fsel.append('option').attr('value', 'quad:0.1').text('quad, ill-conditioned (a 0.1, b 2)');
  const illCond = st.f === 'quad' && Number(st.a) === 0.1 && Number(st.b) === 2;
  fsel.property('value', illCond ? 'quad:0.1' : st.f);
  fsel.on('change', () => {
    const v = fsel.property('value');
    const name = v.split(':')[0];
    const s = { ...st, f: name, a: null, b: null, x: null, s: st.s, o: st.o };
    if (v === 'quad:0.1') { s.a = '0.1'; s.b = '2'; }
    st = complete(s);
    changed(true);
  });
  so.append('span').attr('class', 'err').attr('id', 'err-f');
  const obj = objOf(st.f);
  if (obj && obj.readsA) fieldRow(so.node(), 'a', st.a, (v) => { st.a = v; changed(); }, { noSlider: true });
  if (obj && obj.readsB) fieldRow(so.node(), 'b', st.b, (v) => { st.b = v; changed(); }, { noSlider: true });
  so.selectAll('.field[data-field=a] .err').attr('id', 'err-a');
  so.selectAll('.field[data-field=b] .err').attr('id', 'err-b');

  // Run
  const sr = sec('Run');
  const start = sr.append('div').attr('class', 'field');
  start.append('label').text('start');
  st.x.forEach((v, i) => start.append('input').attr('type', 'text').attr('class', 'num start').attr('id', `start${i}`)
    .attr('aria-label', `start x${i + 1}`).property('value', v)
    .on('input', function () { st.x[i] = this.value; changed(); }));
  start.append('span').attr('class', 'hint').text('or click the plot');
  start.append('span').attr('class', 'err').attr('id', 'err-x');
  const steps = fieldRow(sr.node(), 'steps', st.steps, (v) => { st.steps = v; changed(); }, { noSlider: true });
  steps.select('.err').attr('id', 'err-steps');
  steps.select('input').attr('id', 'steps');
  const noise = fieldRow(sr.node(), 'noise', st.noise, (v) => { st.noise = v; changed(); },
    { noSlider: true, title: 'standard deviation of N(0, noise^2) added to each coordinate of the gradient (chapter 5); 0: none' });
  noise.select('.err').attr('id', 'err-noise');
  noise.select('label').text('gradient noise σ');
  const seed = fieldRow(sr.node(), 'seed', st.seed, (v) => { st.seed = v; changed(); }, { noSlider: true });
  seed.select('.err').attr('id', 'err-seed');

  // Schedule
  const ss = sec('Learning-rate schedule');
  const ssel = ss.append('select').attr('id', 'schedule').attr('aria-label', 'schedule');
  for (const s of H.schedules)
    ssel.append('option').attr('value', s.name).property('disabled', !!s.needs)
      .text(s.needs ? `${s.name} (${s.needs}: not here)` : s.name);
  ssel.property('value', st.sched);
  ssel.on('change', () => { st = complete({ ...st, sched: ssel.property('value'), s: {} }); changed(true); });
  ss.append('span').attr('class', 'err').attr('id', 'err-sched');
  const sk = schedOf(st.sched);
  if (sk && sk.fitted) {
    const fit = ss.append('div').attr('class', 'field');
    fit.append('label').text(`fit ${sk.fitted} to the run`);
    fit.append('input').attr('type', 'checkbox').attr('id', 'fit').property('checked', st.fit !== '0')
      .on('change', function () { st = complete({ ...st, fit: this.checked ? '1' : '0' }); changed(true); });
  }
  if (sk)
    for (const f of sk.fields) {
      if (st.fit !== '0' && f.name === sk.fitted) continue;
      const title = f.type === 'm' ? 'steps, separated by commas' : f.type === 'v' ? 'factors of the rate, one more than milestones' : '';
      fieldRow(ss.node(), f.name, st.s[f.name] ?? '', (v) => { st.s[f.name] = v; changed(); },
        { flag: f.type === 'f', noSlider: f.type !== 'r', title }).attr('data-sched', '1');
    }

  // Optimizers
  const sp = sec('Optimizers');
  sp.attr('id', 'optimizers');
  st.o.forEach((r, i) => {
    const card = sp.append('div').attr('class', 'card').attr('data-run', i).style('border-left-color', COLORS[i % COLORS.length]);
    const head = card.append('div').attr('class', 'cardhead');
    const osel = head.append('select').attr('aria-label', `optimizer ${i + 1}`);
    for (const o of H.optimizers) osel.append('option').attr('value', o.name).text(o.name);
    if (!optOf(r.name)) osel.append('option').attr('value', r.name).text(r.name);
    osel.property('value', r.name);
    osel.on('change', () => { st.o[i] = { name: osel.property('value'), p: { lr: st.o[i].p.lr } }; st = complete(st); changed(true); });
    head.append('button').attr('class', 'remove').attr('title', 'remove').text('×')
      .on('click', () => { st.o.splice(i, 1); changed(true); });
    head.append('span').attr('class', 'err').attr('data-err', '');
    const od = optOf(r.name);
    const isFlag = (k) => { const f = od && od.fields.find((q) => q.name === k); return f ? f.flag : false; };
    const entries = Object.entries(r.p);
    for (const [k, v] of entries.filter(([k]) => !isFlag(k)))
      fieldRow(card.node(), k, v, (nv) => { st.o[i].p[k] = nv; changed(); });
    const flags = card.append('div').attr('class', 'flags');
    for (const [k, v] of entries.filter(([k]) => isFlag(k)))
      fieldRow(flags.node(), k, v, (nv) => { st.o[i].p[k] = nv; changed(); }, { flag: true });
    card.append('div').attr('class', 'note');
  });
  const add = sp.append('div').attr('class', 'add');
  const asel = add.append('select').attr('id', 'addopt').attr('aria-label', 'optimizer to add');
  for (const o of H.optimizers) asel.append('option').attr('value', o.name).text(o.name);
  add.append('button').attr('id', 'addbtn').text('add')
    .on('click', () => { st.o.push({ name: asel.property('value'), p: {} }); st = complete(st); changed(true); });
  sp.append('span').attr('class', 'err').attr('id', 'err-o');
}

// ---------------------------------------------------------------- running and errors

let timer = 0;
function changed(rebuild = false) {
  if (rebuild) buildControls();
  clearTimeout(timer);
  timer = setTimeout(() => { update(true); }, rebuild ? 0 : 120);
}

const word = (msg, name) => new RegExp(`(^|[^A-Za-z0-9_])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^A-Za-z0-9_]|$)`).test(msg);

function showIssues(issues) {
  document.querySelectorAll('#controls .err').forEach((e) => { e.textContent = ''; });
  document.querySelectorAll('#controls .bad').forEach((e) => e.classList.remove('bad'));
  const put = (el, msg) => {
    if (!el) return false;
    el.textContent = el.textContent ? `${el.textContent} ${msg}` : msg;
    const input = el.parentNode && el.parentNode.querySelector('input.num, select');
    if (input) input.classList.add('bad');
    return true;
  };
  for (const is of issues) {
    const w = is.where;
    let m;
    if ((m = /^o(\d+)(?:\.(.*))?$/.exec(w))) {
      const card = document.querySelector(`.card[data-run="${m[1]}"]`);
      if (!card) { put($('err-o'), is.msg); continue; }
      const errs = [...card.querySelectorAll('.field .err')];
      const named = m[2] !== undefined ? errs.filter((e) => e.dataset.err === m[2]) : errs.filter((e) => word(is.msg, e.dataset.err));
      if (named.length) named.forEach((e) => put(e, is.msg)); else put(card.querySelector('.cardhead .err'), is.msg);
    } else if ((m = /^s(?:\.(.*))?$/.exec(w))) {
      const errs = [...document.querySelectorAll('#controls .field[data-sched] .err')];
      const named = m[1] !== undefined ? errs.filter((e) => e.dataset.err === m[1]) : errs.filter((e) => word(is.msg, e.dataset.err));
      if (named.length) named.forEach((e) => put(e, is.msg)); else put($('err-sched'), is.msg);
    } else if (!put($(`err-${w}`), is.msg)) put($('err-o'), `${w}: ${is.msg}`);
  }
}

function update(fromControls) {
  const h = hashOf(st);
  if (fromControls && location.hash.slice(1) !== h) history.replaceState(null, '', '#' + h);
  $('preset').value = presetMatching(h);
  result = H.run(h);
  showIssues(result.issues);
  document.querySelectorAll('.card .note').forEach((n) => { n.textContent = ''; });
  result.runs.forEach((r, i) => {
    const n = document.querySelector(`.card[data-run="${i}"] .note`);
    if (n) n.textContent = r.note;
  });
  draw();
  document.body.dataset.ready = String(Number(document.body.dataset.ready || 0) + 1);
}

function presetMatching(h) {
  for (const p of presets) if (hashOf(complete(parseHash(p.state))) === h) return p.id;
  return '';
}

// ---------------------------------------------------------------- drawing

// A run's name and the settings in which it differs from the header's defaults.
function labelOf(i) {
  const r = st.o[i];
  if (!r) return '';
  const od = optOf(r.name);
  const diff = Object.entries(r.p).filter(([k, v]) => { const f = od && od.fields.find((q) => q.name === k); return !f || Number(v) !== f.def; });
  const short = (v) => { const t = String(Number(Number(v).toPrecision(4))); return v !== '' && Number.isFinite(Number(v)) && t.length < v.length ? t : v; };
  return [r.name, ...diff.map(([k, v]) => `${k} ${short(v)}`)].join(' ');
}

function viewOf() {
  const obj = objOf(st.f);
  const dim = obj ? obj.dim : 2;
  const v = (VIEWS[st.f] || (dim === 1 ? [-5, 5] : [-5, 5, -5, 5])).slice();
  const x = st.x.map(Number);
  const widen = (lo, hi, p) => { if (Number.isFinite(p) && (p < v[lo] || p > v[hi])) { const m = 0.08 * (v[hi] - v[lo]); v[lo] = Math.min(v[lo], p - m); v[hi] = Math.max(v[hi], p + m); } };
  widen(0, 1, x[0]);
  if (dim === 2) widen(2, 3, x[1]);
  return { dim, box: v };
}

// Pixel points of a path, dropping those within half a pixel of the last one kept
// (the last point is always kept): row index k with each.
function pixels(path, n, sx, sy, dim) {
  const out = [];
  let lx = Infinity, ly = Infinity;
  const clamp = (v) => Math.max(-1e4, Math.min(1e4, v));
  for (let k = 0; k < n; k++) {
    const px = clamp(sx(path[3 * k])), py = clamp(dim === 2 ? sy(path[3 * k + 1]) : sy(path[3 * k + 2]));
    if (k === 0 || k === n - 1 || Math.abs(px - lx) + Math.abs(py - ly) > 0.5) { out.push([px, py, k]); lx = px; ly = py; }
  }
  return out;
}

function draw() {
  const { dim, box } = viewOf();
  const svg = select('#contour');
  svg.selectAll('*').remove();
  const W = 620, M = { l: 46, r: 12, t: 10, b: 34 };
  let w = W - M.l - M.r, h;
  if (dim === 2) {
    h = Math.round(w * (box[3] - box[2]) / (box[1] - box[0]));
    if (h > 540) { w = Math.round(w * 540 / h); h = 540; }
  } else h = 380;
  svg.attr('width', w + M.l + M.r).attr('height', h + M.t + M.b);
  const g = svg.append('g').attr('transform', `translate(${M.l},${M.t})`);
  const sx = scaleLinear().domain([box[0], box[1]]).range([0, w]);
  let sy;
  const clip = g.append('clipPath').attr('id', 'clip');
  clip.append('rect').attr('width', w).attr('height', h);
  const plot = g.append('g').attr('clip-path', 'url(#clip)');
  if (dim === 2) {
    sy = scaleLinear().domain([box[2], box[3]]).range([h, 0]);
    const nx = 161, ny = Math.max(41, Math.round(161 * h / w));
    const f = H.grid(box, nx, ny);
    // Levels at quantiles of f over the view, denser towards the minimum: the lines are
    // spread over the picture whatever the function's range.
    const sorted = Array.from(f).filter(Number.isFinite).sort((p, q) => p - q);
    const N = 24;
    const levels = [];
    for (let i = 1; i < N; i++) {
      const v = sorted[Math.floor(((i / N) ** 2) * (sorted.length - 1))];
      if (v !== undefined && (!levels.length || v > levels[levels.length - 1])) levels.push(v);
    }
    const cs = contours().size([nx, ny]).thresholds(levels)(Array.from(f, (v) => (Number.isFinite(v) ? v : sorted[sorted.length - 1])));
    const dx = (box[1] - box[0]) / (nx - 1), dy = (box[3] - box[2]) / (ny - 1);
    const ring = (r) => 'M' + r.map(([cx, cy]) => `${sx(box[0] + (cx - 0.5) * dx).toFixed(1)},${sy(box[2] + (cy - 0.5) * dy).toFixed(1)}`).join('L') + 'Z';
    plot.append('rect').attr('width', w).attr('height', h).attr('fill', interpolateYlGnBu(0.62));
    plot.selectAll('path.level').data(cs).join('path').attr('class', 'level')
      .attr('d', (c) => c.coordinates.map((poly) => poly.map(ring).join('')).join(''))
      .attr('fill', (c, i) => interpolateYlGnBu(0.56 - 0.52 * i / Math.max(1, cs.length - 1)))
      .attr('stroke', '#2c5d8a').attr('stroke-opacity', 0.28).attr('stroke-width', 0.7);
  } else {
    const nx = 400;
    const f = H.grid([box[0], box[1], 0, 0], nx, 1);
    let lo = Infinity, hi = -Infinity;
    for (const v of f) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const m = 0.06 * (hi - lo || 1);
    sy = scaleLinear().domain([lo - m, hi + m]).range([h, 0]);
    plot.append('rect').attr('width', w).attr('height', h).attr('fill', '#f7fbff');
    plot.append('path').attr('class', 'curve').attr('fill', 'none').attr('stroke', '#555').attr('stroke-width', 1.5)
      .attr('d', line()(Array.from(f, (v, i) => [sx(box[0] + (box[1] - box[0]) * i / (nx - 1)), sy(v)])));
  }
  g.append('g').attr('transform', `translate(0,${h})`).call(axisBottom(sx).ticks(8));
  g.append('g').call(axisLeft(sy).ticks(dim === 2 ? 8 : 6));
  g.append('text').attr('class', 'axislabel').attr('x', w / 2).attr('y', h + 30).text(dim === 2 ? 'x1' : 'x');
  g.append('text').attr('class', 'axislabel').attr('transform', `translate(-34,${h / 2}) rotate(-90)`).text(dim === 2 ? 'x2' : 'f(x)');

  // Click: a new start.
  plot.append('rect').attr('class', 'clicker').attr('width', w).attr('height', h).attr('fill', 'transparent')
    .style('cursor', 'crosshair')
    .on('click', (ev) => {
      const [px, py] = [ev.offsetX - M.l, ev.offsetY - M.t];
      const r = (v, span) => num(Number(v.toFixed(Math.max(0, 3 - Math.floor(Math.log10(span))))));
      st.x = dim === 2 ? [r(sx.invert(px), box[1] - box[0]), r(sy.invert(py), box[3] - box[2])] : [r(sx.invert(px), box[1] - box[0])];
      document.querySelectorAll('input.start').forEach((el, i) => { el.value = st.x[i]; });
      changed();
    });

  const runs = result.runs;
  const layer = plot.append('g').attr('class', 'paths').style('pointer-events', 'none');
  const drawn = runs.map((r, i) => {
    const pts = pixels(r.path, r.points, sx, sy, dim);
    const color = COLORS[i % COLORS.length];
    const p = layer.append('path').attr('class', 'run').attr('data-run', i).attr('data-points', r.points)
      .attr('fill', 'none').attr('stroke', color).attr('stroke-width', 2).attr('stroke-linejoin', 'round')
      .attr('stroke-dasharray', i % 2 ? '7,3' : null);   // odd runs dashed: a path that follows another stays visible
    const head = layer.append('circle').attr('class', 'head').attr('r', 4.5).attr('fill', color).attr('stroke', '#fff');
    if (pts.length) layer.append('circle').attr('class', 'start').attr('cx', pts[0][0]).attr('cy', pts[0][1]).attr('r', 4)
      .attr('fill', '#fff').attr('stroke', '#222').attr('stroke-width', 1.5);
    return { pts, p, head, r, color };
  });
  if (runs.length && runs.length <= 10) {   // a legend; with more runs the table below is the legend
    const lg = g.append('g').attr('class', 'legend').attr('transform', `translate(${w - 8},8)`);
    const names = runs.map((r, i) => labelOf(i));
    const width = 34 + 7.4 * Math.max(...names.map((n) => n.length));
    lg.append('rect').attr('x', -width).attr('width', width).attr('height', 8 + 16 * runs.length).attr('fill', '#fff').attr('fill-opacity', 0.85).attr('stroke', '#bbb');
    names.forEach((n, i) => {
      lg.append('line').attr('x1', -width + 6).attr('x2', -width + 24).attr('y1', 12 + 16 * i).attr('y2', 12 + 16 * i)
        .attr('stroke', COLORS[i % COLORS.length]).attr('stroke-width', 2.5).attr('stroke-dasharray', i % 2 ? '7,3' : null);
      lg.append('text').attr('x', -width + 28).attr('y', 16 + 16 * i).attr('class', 'legendtext').text(n);
    });
  }
  const steps = Math.max(1, ...runs.map((r) => r.points - 1));
  const charts = drawCharts(runs, steps);
  const frame = (k) => {
    for (const d of drawn) {
      let n = d.pts.length;
      if (k < steps) { n = 0; while (n < d.pts.length && d.pts[n][2] <= k) n++; }
      const shown = d.pts.slice(0, Math.max(n, 1));
      d.p.attr('d', shown.length > 1 ? line()(shown.map((q) => [q[0], q[1]])) : null);
      const last = shown[shown.length - 1];
      if (last) d.head.attr('cx', last[0]).attr('cy', last[1]); else d.head.remove();
      const stopped = n === d.pts.length && d.r.note.startsWith('diverged') || d.r.note.startsWith('stopped');
      d.head.attr('stroke', stopped && n === d.pts.length ? '#d00' : '#fff').attr('stroke-width', stopped && n === d.pts.length ? 2.5 : 1);
    }
    charts.cursor(k);
    $('stepnow').textContent = k >= steps ? `${steps} steps` : `step ${k} of ${steps}`;
  };
  cancelAnimationFrame(anim.id);
  const animate = $('animate').checked;
  if (!animate) frame(steps);
  else {
    const dur = 1000 * Number($('duration').value || 5);
    anim.t0 = performance.now();
    const tick = (now) => {
      const p = Math.min(1, (now - anim.t0) / dur);
      frame(p >= 1 ? steps : Math.floor(p * steps));
      if (p < 1) anim.id = requestAnimationFrame(tick);
    };
    frame(0);
    anim.id = requestAnimationFrame(tick);
  }
  drawTable(runs);
  $('timing').textContent = `the header ran ${runs.reduce((a, r) => a + Math.max(r.points - 1, 0), 0)} steps in ${result.ms.toFixed(1)} ms`;
}

function drawCharts(runs, steps) {
  const mk = (id, title) => {
    const svg = select(id);
    svg.selectAll('*').remove();
    const W = 310, H0 = 210, M = { l: 54, r: 16, t: 18, b: 30 };
    svg.attr('width', W).attr('height', H0);
    const g = svg.append('g').attr('transform', `translate(${M.l},${M.t})`);
    g.append('text').attr('class', 'charttitle').attr('x', 0).attr('y', -6).text(title);
    return { g, w: W - M.l - M.r, h: H0 - M.t - M.b };
  };
  const sx = (w) => scaleLinear().domain([0, steps]).range([0, w]);
  // The loss, on a log scale (symlog when some f is <= 0).
  const L = mk('#loss', 'f(x_k) against step k');
  let lo = Infinity, hi = -Infinity, neg = false;
  for (const r of runs) for (let k = 0; k < r.points; k++) { const f = r.path[3 * k + 2]; if (f <= 0) neg = true; else { lo = Math.min(lo, f); hi = Math.max(hi, f); } }
  if (!Number.isFinite(lo)) { lo = 1e-3; hi = 1; }
  let ly;
  if (neg) {
    let mn = 0, mx = 0;
    for (const r of runs) for (let k = 0; k < r.points; k++) { mn = Math.min(mn, r.path[3 * k + 2]); mx = Math.max(mx, r.path[3 * k + 2]); }
    ly = scaleSymlog().domain([mn, mx]).range([L.h, 0]);
  } else ly = scaleLog().domain([lo, Math.max(hi, lo * 10)]).range([L.h, 0]).clamp(true);
  const lx = sx(L.w);
  const series = (r, val, n) => {
    const stride = Math.max(1, Math.floor(n / 1500));
    const pts = [];
    for (let k = 0; k < n; k += stride) pts.push([lx(k), val(k)]);
    if ((n - 1) % stride) pts.push([lx(n - 1), val(n - 1)]);
    return pts;
  };
  runs.forEach((r, i) => {
    if (r.points < 1) return;
    L.g.append('path').attr('class', 'lossline').attr('fill', 'none').attr('stroke', COLORS[i % COLORS.length]).attr('stroke-width', 1.5)
      .attr('d', line()(series(r, (k) => ly(neg ? r.path[3 * k + 2] : Math.max(r.path[3 * k + 2], lo)), r.points)));
  });
  L.g.append('g').attr('transform', `translate(0,${L.h})`).call(axisBottom(lx).ticks(5));
  L.g.append('g').call(neg ? axisLeft(ly).ticks(5) : axisLeft(ly).ticks(5, '.0e'));
  L.g.append('text').attr('class', 'axislabel').attr('x', L.w).attr('y', -6).style('text-anchor', 'end').text(neg ? 'symlog scale' : 'log scale');
  // The learning rate of each step.
  const R = mk('#lr', 'learning rate of step k + 1');
  let rmax = 0;
  for (const r of runs) for (const v of r.lr) rmax = Math.max(rmax, v);
  const ry = scaleLinear().domain([0, rmax || 1]).nice().range([R.h, 0]);
  const rx = sx(R.w);
  runs.forEach((r, i) => {
    if (r.points < 2) return;
    const stride = Math.max(1, Math.floor(r.lr.length / 1500));
    const pts = [];
    for (let k = 0; k < r.lr.length; k += stride) pts.push([rx(k), ry(r.lr[k])]);
    pts.push([rx(r.lr.length - 1), ry(r.lr[r.lr.length - 1])]);
    R.g.append('path').attr('class', 'lrline').attr('fill', 'none').attr('stroke', COLORS[i % COLORS.length]).attr('stroke-width', 1.5)
      .attr('stroke-dasharray', i % 2 ? '5,3' : null).attr('d', line()(pts));
  });
  R.g.append('g').attr('transform', `translate(0,${R.h})`).call(axisBottom(rx).ticks(5));
  R.g.append('g').call(axisLeft(ry).ticks(5));
  const cur = [L, R].map((c) => c.g.append('line').attr('class', 'cursor').attr('y1', 0).attr('y2', c.h));
  return { cursor: (k) => cur.forEach((c, j) => { const x = (j ? rx : lx)(Math.min(k, steps)); c.attr('x1', x).attr('x2', x); }) };
}

function drawTable(runs) {
  const tb = select('#results tbody');
  tb.selectAll('*').remove();
  runs.forEach((r, i) => {
    const tr = tb.append('tr').attr('data-run', i).attr('data-line', r.line);
    tr.append('td').append('span').attr('class', 'swatch').style('background', COLORS[i % COLORS.length]);
    // The line is the C program's: "NAME: step K x1 A x2 B f C" (1-D: "x A f C"), or "SPEC: no run".
    const m = /^(.*): step (\d+) (?:x1 (\S+) x2 (\S+)|x (\S+)) f (\S+)$/.exec(r.line);
    if (m) {
      tr.append('td').text(labelOf(i));
      tr.append('td').attr('class', 'k').text(m[2]);
      tr.append('td').attr('class', 'x1').text(m[3] ?? m[5]);
      tr.append('td').attr('class', 'x2').text(m[4] ?? '');
      tr.append('td').attr('class', 'f').text(m[6]);
    } else {
      tr.append('td').text(r.line.replace(/: no run$/, ''));
      tr.append('td').attr('colspan', 4).text('not run: see the message at its field');
    }
    tr.append('td').attr('class', 'note').text(r.note);
  });
}

// ---------------------------------------------------------------- start

async function main() {
  H = await loadHeader();
  const psel = $('preset');
  psel.append(new Option('(your own settings)', ''));
  for (const p of presets) psel.append(new Option(p.title, p.id));
  psel.addEventListener('change', () => {
    if (!psel.value) return;
    location.hash = 'p=' + psel.value;
  });
  const load = () => {
    const { s, preset } = stateFromHash();
    st = s;
    buildControls();
    const h = hashOf(st);
    if (location.hash.slice(1) !== h) history.replaceState(null, '', '#' + h);
    update(false);
    if (preset) psel.value = preset;
  };
  window.addEventListener('hashchange', load);
  $('animate').addEventListener('change', () => draw());
  $('replay').addEventListener('click', () => draw());
  $('copy').addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(location.href); $('copied').textContent = 'copied'; } catch { $('copied').textContent = 'copy the address bar'; }
  });
  window.playground = { presets, get state() { return hashOf(st); }, run: (h) => H.run(h), header: H };
  load();
}

main().catch((err) => { document.body.dataset.error = String(err); $('timing').textContent = 'failed to start: ' + err; });

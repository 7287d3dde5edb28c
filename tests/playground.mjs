// The playground in a real browser (headless Chromium, driven by playwright-core): each
// check prints "FAIL ..." when it fails, and the last line is
// "playground_browser: N passed, N failed". Run by tests/playground.sh, from the
// repository root, after make playground and build/play_native.
//   node tests/playground.mjs [--figures]    (--figures: also write figures/playground*.png)
import { chromium } from '../playground/node_modules/playwright-core/index.mjs';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const PAGE = pathToFileURL(resolve('playground/index.html')).href;
const NATIVE = resolve('build/play_native');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const presets = JSON.parse(readFileSync('playground/src/presets.json', 'utf8'));
const FIGURES = process.argv.includes('--figures');
// The presets whose final points are compared with the native program's (at least five),
// the diverging one among them.
const CHECKED = ['race', 'ch05', 'ch07', 'ch08', 'ch08-rotated', 'ch10', 'ch14-rosenbrock', 'diverge'];

let passed = 0, failed = 0;
const check = (ok, what, detail = '') => {
  if (ok) { passed++; console.log(`   ok: ${what}`); } else { failed++; console.log(`FAIL playground: ${what}${detail ? ': ' + detail : ''}`); }
};
const native = (state) => execFileSync(NATIVE, [state], { encoding: 'utf8' });
const nativeLines = (state) => native(state).split('\n').filter((l) => l && !l.startsWith(' ') && !l.startsWith('issue '));
const nativeIssues = (state) => native(state).split('\n').filter((l) => l.startsWith('issue '));
const stateOf = (id) => presets.find((p) => p.id === id).state;

mkdirSync('build/playground', { recursive: true });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
const errors = [];

async function open(url, width = 1280) {
  const page = await browser.newPage({ viewport: { width, height: 900 }, deviceScaleFactor: 1 });
  page.on('pageerror', (e) => errors.push(`${url}: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${url}: console: ${m.text()}`); });
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready || document.body.dataset.error, null, { timeout: 15000 });
  const err = await page.evaluate(() => document.body.dataset.error || '');
  if (err) throw new Error(`the page failed to start: ${err}`);
  return page;
}
// Turn the animation off (the whole path at once) and wait for the redraw.
async function still(page) {
  await page.evaluate(() => { const a = document.getElementById('animate'); if (a.checked) a.click(); });
}
// After a change: wait until the page has run the header again.
async function settled(page, before) {
  await page.waitForFunction((b) => Number(document.body.dataset.ready) > b, before, { timeout: 10000 });
}
const readyCount = (page) => page.evaluate(() => Number(document.body.dataset.ready));
const rows = (page) => page.evaluate(() => [...document.querySelectorAll('#results tbody tr')].map((tr) => ({
  line: tr.dataset.line, x1: tr.querySelector('.x1')?.textContent, x2: tr.querySelector('.x2')?.textContent,
  f: tr.querySelector('.f')?.textContent, note: tr.querySelector('.note')?.textContent })));

// Pixels of each run's colour along its drawn path, in a screenshot of the plot: decoded
// in the page (a canvas), sampled at the path's vertices and half-way between them.
async function pathPixels(page, png) {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const data = g.getImageData(0, 0, c.width, c.height).data;
    const svg = document.getElementById('contour').getBoundingClientRect();
    const rgb = (s) => { const d = document.createElement('div'); d.style.color = s; document.body.append(d); const v = getComputedStyle(d).color.match(/\d+/g).map(Number); d.remove(); return v; };
    const paths = [...document.querySelectorAll('#contour path.run')];
    const colours = paths.map((p) => rgb(p.getAttribute('stroke')));
    const near = (x, y, set) => {
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const X = Math.round(x) + dx, Y = Math.round(y) + dy;
        if (X < 0 || Y < 0 || X >= c.width || Y >= c.height) continue;
        const i = 4 * (Y * c.width + X);
        if (set.some((w) => Math.abs(data[i] - w[0]) + Math.abs(data[i + 1] - w[1]) + Math.abs(data[i + 2] - w[2]) < 40)) return true;
      }
      return false;
    };
    return paths.map((p, j) => {
      const d = p.getAttribute('d') || '';
      const pts = [...d.matchAll(/(-?[\d.e+-]+),(-?[\d.e+-]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
      const m = p.getScreenCTM();
      let own = 0, any = 0, samples = 0;
      for (let k = 1; k < pts.length; k++) {
        for (const t of [0.5, 1]) {
          const x = pts[k - 1][0] + t * (pts[k][0] - pts[k - 1][0]), y = pts[k - 1][1] + t * (pts[k][1] - pts[k - 1][1]);
          const s = new DOMPoint(x, y).matrixTransform(m);
          const px = s.x - svg.left, py = s.y - svg.top;
          if (px < 0 || py < 0 || px >= svg.width || py >= svg.height) continue;
          samples++;
          if (near(px, py, [colours[j]])) own++;
          if (near(px, py, colours)) any++;
        }
      }
      return { run: p.dataset.run, own, any, samples, finite: !/NaN|Infinity/.test(d) };
    });
  }, png.toString('base64'));
}

const t0 = Date.now();
try {
  // 1. The presets: the page's final points are the native program's, digit for digit,
  //    for the preset's state and for the state the page wrote back into its URL.
  for (const id of CHECKED) {
    const page = await open(`${PAGE}#p=${id}`);
    await still(page);
    const got = await rows(page);
    const want = nativeLines(stateOf(id));
    const hash = await page.evaluate(() => location.hash.slice(1));
    const wantHash = nativeLines(hash);
    const same = got.length === want.length && got.every((r, i) => r.line === want[i]);
    check(same, `preset ${id}: ${got.length} final points equal the native program's (%.17g)`,
          same ? '' : `page:\n${got.map((r) => r.line).join('\n')}\nnative:\n${want.join('\n')}`);
    check(JSON.stringify(wantHash) === JSON.stringify(want), `preset ${id}: the page's URL, run natively, gives the same lines`);
    // The cells show the same digits as the line.
    const cellsOk = got.every((r) => !r.x1 || r.line.includes(` x1 ${r.x1} x2 ${r.x2} f ${r.f}`) || r.line.includes(` x ${r.x1} f ${r.f}`));
    check(cellsOk, `preset ${id}: the table's cells show the line's digits`);
    // A screenshot of the plot, with each run's path drawn in its colour.
    const png = await page.locator('#contour').screenshot();
    writeFileSync(`build/playground/${id}.png`, png);
    const px = await pathPixels(page, png);
    // Each path is drawn: at least half of the points sampled along it have a path's colour
    // (a later path may cover an earlier one), and the last one drawn shows its own.
    const drawn = px.filter((p) => p.samples > 0);
    const bad = drawn.filter((p) => p.any < 0.5 * p.samples || !p.finite);
    const top = drawn[drawn.length - 1];
    check(png.length > 10000 && drawn.length > 0 && bad.length === 0 && top.own >= 0.5 * top.samples,
          `preset ${id}: the screenshot (${png.length} bytes) shows ${drawn.length} drawn paths`, JSON.stringify(bad.length ? bad : px));
    if (id === 'diverge') {
      const note = got[0] && got[0].note;
      check(/^diverged: f is inf at step \d+; stopped at step \d+/.test(note || ''), 'the diverging run stops with a note', note);
      check(px.every((p) => p.finite), 'the diverging run draws no NaN or infinity');
      const nat = native(stateOf(id));
      check(nat.includes(`  note: ${note}`), 'the note is the native program\'s');
      const card = await page.locator('.card[data-run="0"] .note').textContent();
      check(card === note, 'the note is shown on the optimizer\'s card too');
    }
    await page.close();
  }

  // 2. Served over HTTP (python3 -m http.server) the page gives the same numbers as from a file.
  const server = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', 'playground'],
                       { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise((res, rej) => {
    const to = setTimeout(() => rej(new Error('http.server did not start')), 8000);
    server.stdout.on('data', (b) => { const m = /port (\d+)/.exec(String(b)); if (m) { clearTimeout(to); res(m[1]); } });
  });
  try {
    const page = await open(`http://127.0.0.1:${port}/index.html#p=ch07`);
    await still(page);
    const got = (await rows(page)).map((r) => r.line);
    check(JSON.stringify(got) === JSON.stringify(nativeLines(stateOf('ch07'))), 'served by python3 -m http.server: the same numbers as from a file');
    await page.close();
  } finally { server.kill(); }

  // 3. A hyperparameter the header refuses: its own sentence next to the field, the
  //    value kept as typed (not clamped), the other runs still run.
  {
    const page = await open(`${PAGE}#p=race`);
    await still(page);
    const before = await readyCount(page);
    const box = page.locator('.card[data-run="0"] .field[data-field="beta1"] input.num');
    await box.fill('1.5');
    await settled(page, before);
    const shown = await page.locator('.card[data-run="0"] .field[data-field="beta1"] .err').textContent();
    const hash = await page.evaluate(() => location.hash.slice(1));
    const issues = nativeIssues(hash);
    const want = issues.length === 1 ? issues[0].replace(/^issue o0: /, '') : '(no single issue)';
    check(shown === want && /expected beta1 in \[0, 1\)/.test(shown), 'beta1 = 1.5: the header\'s message next to beta1', `shown "${shown}", native "${issues}"`);
    check(await box.inputValue() === '1.5' && hash.includes('beta1=1.5'), 'beta1 = 1.5 is kept as typed, in the field and the URL');
    check(await box.evaluate((e) => e.classList.contains('bad')), 'the refused field is marked');
    const r = await rows(page);
    check(r.length === 2 && /no run/.test(r[0].line) && r[1].line === nativeLines(hash)[1], 'the other optimizer still runs, as natively');
    // The header's message for a flag set to 2, and for a number that is not one.
    const lr = page.locator('.card[data-run="1"] .field[data-field="lr"] input.num');
    const b2 = await readyCount(page);
    await lr.fill('0.01x');
    await settled(page, b2);
    const lrErr = await page.locator('.card[data-run="1"] .field[data-field="lr"] .err').textContent();
    check(lrErr === 'lr: expected a number, found "0.01x"', 'lr = 0.01x: refused with a message next to lr', lrErr);
    const b3 = await readyCount(page);
    await lr.fill('5000');
    await settled(page, b3);
    const lrErr2 = await page.locator('.card[data-run="1"] .field[data-field="lr"] .err').textContent();
    const nat = nativeIssues(await page.evaluate(() => location.hash.slice(1))).find((l) => l.startsWith('issue o1'));
    check(nat && lrErr2 === nat.replace(/^issue o1: /, '') && lrErr2.includes('lr in [0, 1000]'), 'lr = 5000: the header\'s range message next to lr', lrErr2);
    await page.close();
  }

  // 4. The URL holds the whole state: change settings, open the URL in a new page: the
  //    same fields, the same numbers.
  {
    const page = await open(`${PAGE}#p=race`);
    await still(page);
    let b = await readyCount(page);
    await page.locator('.card[data-run="1"] .field[data-field="momentum"] input.num').fill('0.8');
    await settled(page, b);
    b = await readyCount(page);
    await page.selectOption('#schedule', 'cosine');
    await settled(page, b);
    b = await readyCount(page);
    await page.locator('.field[data-field="eta_min"] input.num').fill('0.0001');
    await settled(page, b);
    b = await readyCount(page);
    await page.locator('#contour rect.clicker').click({ position: { x: 100, y: 120 } });
    await settled(page, b);
    const hash = await page.evaluate(() => location.hash.slice(1));
    const values = (p) => p.evaluate(() => [...document.querySelectorAll('#controls input, #controls select')].map((e) => (e.type === 'checkbox' ? e.checked : e.value)));
    const v1 = await values(page), r1 = (await rows(page)).map((r) => r.line);
    const page2 = await open(`${PAGE}#${hash}`);
    await still(page2);
    const v2 = await values(page2), r2 = (await rows(page2)).map((r) => r.line);
    const hash2 = await page2.evaluate(() => location.hash.slice(1));
    check(hash2 === hash, 'the URL round-trips: a new page writes back the same URL', `${hash}\n${hash2}`);
    check(JSON.stringify(v1) === JSON.stringify(v2), 'the URL round-trips: every field has the same value');
    check(JSON.stringify(r1) === JSON.stringify(r2) && JSON.stringify(r1) === JSON.stringify(nativeLines(hash)),
          'the URL round-trips: the same final points, equal to the native program\'s', `${r1}\n${r2}`);
    check(/momentum=0\.8/.test(hash) && /sched=cosine/.test(hash) && /s\.eta_min=0\.0001/.test(hash) && !/x=-1\.2,1&/.test(hash),
          'the URL holds the changed momentum, schedule, eta_min and start', hash);
    if (FIGURES) {
      // The README's picture: Adam against SGD with momentum on Rosenbrock.
      const p3 = await open(`${PAGE}#p=race`, 1280);
      await still(p3);
      await p3.screenshot({ path: 'figures/playground.png', fullPage: true });
      await p3.goto(`${PAGE}#p=ch07`); await p3.waitForTimeout(300); await still(p3); await p3.waitForTimeout(200);
      await p3.screenshot({ path: 'figures/playground_ch07.png', fullPage: true });
      await p3.close();
    }
    await page.close(); await page2.close();
  }

  // 5. A 1-D objective: its curve and the path on it.
  {
    const page = await open(`${PAGE}#f=xcos&a=0.47123889803846897&x=10&steps=100&o=sgd:lr=2`);
    await still(page);
    const got = (await rows(page)).map((r) => r.line);
    check(got.length === 1 && got[0] === nativeLines('f=xcos&a=0.47123889803846897&x=10&steps=100&o=sgd:lr=2')[0] && / x \S+ f /.test(got[0]),
          'a 1-D objective (x cos(0.15 pi x)): the native program\'s final point', got.join());
    const curve = await page.locator('#contour path.curve').count();
    check(curve === 1, 'a 1-D objective: its curve is drawn');
    await page.close();
  }
  check(errors.length === 0, 'no script error in any page', errors.join('\n'));
} catch (e) {
  check(false, 'the browser tests ran to the end', e.stack || String(e));
} finally {
  await browser.close();
}
console.log(`   (browser tests: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
console.log(`playground_browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

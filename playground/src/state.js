// The playground's state and its URL fragment, which describes all of it:
//   f=rosenbrock&x=-1.2,1&steps=3000&noise=0&seed=1&sched=constant&fit=1&o=adam:lr=0.02,...
// Values are kept as the text the reader typed, so that nothing is rounded or clamped on
// the way to the header; each is percent-encoded in the URL.

const e = encodeURIComponent;
const d = (s) => { try { return decodeURIComponent(s); } catch { return s; } };

export function parseHash(hash) {
  const st = { f: '', a: null, b: null, x: null, steps: null, noise: null, seed: null, sched: null, s: {}, fit: null, o: [], p: null };
  for (const part of hash.replace(/^#/, '').split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = d(eq < 0 ? part : part.slice(0, eq)), v = eq < 0 ? '' : part.slice(eq + 1);
    if (key === 'o') {
      const colon = v.indexOf(':');
      const o = { name: d(colon < 0 ? v : v.slice(0, colon)), p: {} };
      if (colon >= 0)
        for (const kv of v.slice(colon + 1).split(',')) {
          if (!kv) continue;
          const q = kv.indexOf('=');
          o.p[d(q < 0 ? kv : kv.slice(0, q))] = q < 0 ? '' : d(kv.slice(q + 1));
        }
      st.o.push(o);
    } else if (key === 'x') st.x = v.split(',').map(d);
    else if (key.startsWith('s.')) st.s[key.slice(2)] = d(v);
    else if (key in st) st[key] = d(v);
    else st.extra = (st.extra ? st.extra + '&' : '') + part;   // passed on: the header names it
  }
  return st;
}

export function hashOf(st) {
  const parts = [`f=${e(st.f)}`];
  if (st.a !== null) parts.push(`a=${e(st.a)}`);
  if (st.b !== null) parts.push(`b=${e(st.b)}`);
  parts.push(`x=${st.x.map(e).join(',')}`, `steps=${e(st.steps)}`, `noise=${e(st.noise)}`, `seed=${e(st.seed)}`,
             `sched=${e(st.sched)}`);
  for (const [k, v] of Object.entries(st.s)) parts.push(`s.${e(k)}=${e(v)}`);
  parts.push(`fit=${e(st.fit)}`);
  for (const o of st.o) {
    const kv = Object.entries(o.p).map(([k, v]) => `${e(k)}=${e(v)}`).join(',');
    parts.push(`o=${e(o.name)}${kv ? ':' + kv : ''}`);
  }
  if (st.extra) parts.push(st.extra);
  return parts.join('&');
}

// A number as the shortest text that reads back as the same double.
export const num = (v) => (Object.is(v, -0) ? '0' : String(v));

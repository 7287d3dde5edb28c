// The header in the page: playground/src/play.c compiled to WebAssembly, embedded in the
// page as base64 (so that it opens from a file:// address too), and the few calls the
// page makes of it. Every number the page shows comes from here.

/* global __PLAY_WASM__ */
const enc = new TextEncoder();
const dec = new TextDecoder();

function bytesOf(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export async function loadHeader() {
  // The module imports three WASI calls (fd_close, fd_seek, fd_write) that the
  // playground never makes: each answers ENOSYS.
  const wasi = new Proxy({}, { get: () => () => 52 });
  const { instance } = await WebAssembly.instantiate(bytesOf(__PLAY_WASM__), { wasi_snapshot_preview1: wasi });
  const X = instance.exports;
  if (X._initialize) X._initialize();
  const mem = () => X.memory.buffer;
  const str = (p) => {
    if (!p) return '';
    const u = new Uint8Array(mem());
    let e = p;
    while (u[e]) e++;
    return dec.decode(u.subarray(p, e));
  };
  const f64 = (p, n) => (p ? new Float64Array(mem(), p, n).slice() : new Float64Array(0));

  const objectives = [];
  for (let k = 0; k < X.pg_obj_count(); k++)
    objectives.push({ name: str(X.pg_obj_name(k)), dim: X.pg_obj_dim(k), a: X.pg_obj_param(k, 0), b: X.pg_obj_param(k, 1),
                      readsA: !!X.pg_obj_reads(k, 0), readsB: !!X.pg_obj_reads(k, 1) });
  const fields = [];
  for (let i = 0; X.pg_field(i); i++) fields.push({ name: str(X.pg_field(i)), flag: !!X.pg_is_flag(i), index: i });
  const optimizers = [];
  for (let k = 0; k < X.pg_optim_count(); k++)
    optimizers.push({ name: str(X.pg_optim_name(k)),
                      fields: fields.filter((f) => X.pg_reads(k, f.index)).map((f) => ({ ...f, def: X.pg_default(k, f.index) })) });
  const schedules = [];
  for (let k = 0; k < X.pg_sched_count(); k++) {
    const fs = [];
    for (let i = 0; i < X.pg_sched_field_count(); i++)
      if (X.pg_sched_reads(k, i))
        fs.push({ name: str(X.pg_sched_field(i)), type: String.fromCharCode(X.pg_sched_field_type(i)), def: X.pg_sched_default(k, i), index: i });
    const fitted = X.pg_sched_fitted(k);
    schedules.push({ name: str(X.pg_sched_name(k)), needs: str(X.pg_sched_needs(k)), fields: fs,
                     fitted: fitted >= 0 ? str(X.pg_sched_field(fitted)) : '' });
  }

  // Run a state (the URL fragment's text): the runs and the header's refusals.
  function run(state) {
    const bytes = enc.encode(state);
    const cap = X.pg_input_size() - 1;
    const buf = new Uint8Array(mem(), X.pg_input(), cap + 1);
    buf.set(bytes.subarray(0, cap));
    buf[Math.min(bytes.length, cap)] = 0;
    const t0 = performance.now();
    const n = X.pg_run();
    const ms = performance.now() - t0;
    const dim = X.pg_dim();
    const runs = [];
    for (let i = 0; i < n; i++) {
      const points = X.pg_run_points(i);
      runs.push({ kind: X.pg_run_kind(i), points, path: f64(X.pg_run_path(i), 3 * points),
                  lr: f64(X.pg_run_lr(i), Math.max(points - 1, 0)), note: str(X.pg_run_note(i)), line: str(X.pg_run_line(i)) });
    }
    const issues = [];
    for (let i = 0; i < X.pg_issue_count(); i++) issues.push({ where: str(X.pg_issue_where(i)), msg: str(X.pg_issue_msg(i)) });
    return { dim, runs, issues, ms };
  }

  // f on an nx x ny grid (row by row, x fastest) over the box, for the contours.
  function grid(box, nx, ny) {
    const p = X.pg_grid(box[0], box[1], box[2], box[3], nx, ny);
    return f64(p, nx * ny);
  }

  return { objectives, optimizers, schedules, run, grid, maxSteps: X.pg_max_steps(), maxRuns: X.pg_max_runs() };
}

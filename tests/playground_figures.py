#!/usr/bin/env python3
"""The playground's presets are the chapters' figures: for each preset of
playground/src/presets.json that names a figure's data file (written by the chapter's
program into out/), every row of that block equals the path the playground's C file
(build/play_native, the page's code built natively) computes for the preset, printed in
the data file's own format (%.10g, or chapter 5's %.6f), and the block ends at the same
step (a block number null: a run the figure does not draw; 1-D data: columns k x f). Run from the repository root after the chapter programs have written out/.
Also: every link of the tutorial (and README) to a preset names one that exists.
Prints one line per preset and "playground_figures: N passed, N failed"."""
import json
import subprocess
import sys


def blocks_of(path):
    """The data blocks of a gnuplot file: lists of rows (lists of strings), split at blank lines."""
    blocks, cur = [], []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith('#'):
                continue
            if not line:
                if cur:
                    blocks.append(cur)
                cur = []
                continue
            cur.append(line.split())
    if cur:
        blocks.append(cur)
    return blocks


def native_paths(binary, state):
    """Each run's rows (k, x1, x2, f as floats) from play_native --path."""
    out = subprocess.run([binary, '--path', state], capture_output=True, text=True, check=True).stdout
    runs, cur = [], None
    for line in out.splitlines():
        parts = line.split()
        if not parts:
            if cur is not None:
                runs.append(cur)
            cur = None
        elif parts[0].lstrip('-').isdigit() and len(parts) == 4:
            cur = cur if cur is not None else []
            cur.append((int(parts[0]), float(parts[1]), float(parts[2]), float(parts[3])))
        elif line.startswith('issue '):
            raise ValueError(line)
    return runs


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else 'build/play_native'
    presets = json.load(open('playground/src/presets.json'))
    passed = failed = 0
    for p in presets:
        fig = p.get('figure')
        if not fig:
            continue
        why = ''
        try:
            dat = blocks_of(fig['dat'])
            runs = native_paths(binary, p['state'])
            if len(runs) != len(fig['blocks']):
                why = f"{len(runs)} runs for {len(fig['blocks'])} blocks"
            rows = 0
            for run, b in zip(runs, fig['blocks']):
                if why:
                    break
                if b is None:   # a run the figure does not draw
                    continue
                if b >= len(dat):
                    why = f"{fig['dat']} has no block {b}"
                    break
                by_k = {r[0]: r for r in run}
                for row in dat[b]:
                    k = int(row[0])
                    if k not in by_k:
                        why = f"block {b}: step {k} is not in the playground's run ({len(run)} rows)"
                        break
                    # columns x1 x2 (2-D) or x f (1-D: the figure's dim is 1)
                    want = (fig['fmt'] % by_k[k][1], fig['fmt'] % by_k[k][3 if fig.get('dim') == 1 else 2])
                    if (row[1], row[2]) != want:
                        why = f"block {b}, step {k}: the chapter's ({row[1]}, {row[2]}), the playground's {want}"
                        break
                    rows += 1
                if not why and int(dat[b][-1][0]) != run[-1][0]:
                    why = f"block {b} ends at step {dat[b][-1][0]}, the playground's run at {run[-1][0]}"
        except (OSError, ValueError, subprocess.CalledProcessError) as e:
            why = str(e)
        if why or rows == 0:
            failed += 1
            print(f"FAIL playground preset {p['id']} against {fig['dat']}: {why or 'no rows compared'}")
        else:
            passed += 1
            print(f"   preset {p['id']}: {rows} rows of {fig['dat']} equal (at {fig['fmt']})")
    # Every link of the tutorial to a preset names one that exists.
    import glob
    import re
    ids = {p['id'] for p in presets}
    for md in sorted(glob.glob('tutorial/*.md')) + ['README.md']:
        for pid in re.findall(r'playground/index\.html#p=([A-Za-z0-9_-]+)', open(md).read()):
            if pid in ids:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {md} links to the playground preset {pid}, which playground/src/presets.json does not have")
    print(f"playground_figures: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

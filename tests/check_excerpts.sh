#!/usr/bin/env bash
# Every code excerpt in the tutorial is real code: each line of a ```c block in
# tutorial/NN-*.md (or NNx-*.md: 04b), or in a reference document (REFERENCES, below),
# must appear in optimfs.h or in that chapter's examples/chNN_*.c (chNNx_*.c).
# Prints one line per stale excerpt, then "check_excerpts: N passed, N failed".
cd "$(dirname "$0")/.."
pass=0; fail=0
# Reference documents, as "FILE:NN": their excerpts come from optimfs.h or chNN's program.
REFERENCES="docs/schedules.md:12"
for md in tutorial/[0-9][0-9]-*.md tutorial/[0-9][0-9][a-z]-*.md $REFERENCES; do
    case "$md" in
        *:*) nn=${md##*:}; md=${md%%:*}; [ -e "$md" ] || { echo "FAIL $md: missing"; fail=$((fail + 1)); continue; } ;;
        *) [ -e "$md" ] || continue; nn=$(basename "$md" | sed -E 's/^([0-9]+[a-z]?)-.*/\1/') ;;
    esac
    known=$(mktemp)
    cat optimfs.h examples/ch"$nn"_*.c 2>/dev/null | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | sort -u > "$known"
    # one line per excerpt line: "<block number><TAB><trimmed line>"
    while IFS=$'\t' read -r block missing; do
        if [ "$missing" = "OK" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $md: code block $block has a line not in optimfs.h or the example: $missing"; fi
    done < <(awk -v known="$known" '
        BEGIN { while ((getline l < known) > 0) have[l] = 1 }
        /^```c/ { inb = 1; b++; bad[b] = ""; next }
        /^```/  { if (inb) { print b "\t" (bad[b] == "" ? "OK" : bad[b]) } inb = 0; next }
        inb { t = $0; sub(/^[ \t]+/, "", t); sub(/[ \t]+$/, "", t)
              if (t != "" && t != "..." && t != "/* ... */" && !(t in have) && bad[b] == "") bad[b] = t }' "$md")
    rm -f "$known"
done
# The appendix chapter (tutorial/A-*.md): its C excerpts come from optimfs.h or the
# bench programs, and every line of its other code blocks (the output it quotes) is a
# line of the make bench run it was written from, tutorial/data/bench.txt.
for md in tutorial/A-*.md; do
    [ -e "$md" ] || continue
    known=$(mktemp); ran=$(mktemp)
    cat optimfs.h bench/*.c 2>/dev/null | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | sort -u > "$known"
    sed 's/[[:space:]]*$//' tutorial/data/bench.txt 2>/dev/null | sort -u > "$ran"
    while IFS=$'\t' read -r block missing; do
        if [ "$missing" = "OK" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $md: block $block has a line that is not in $missing"; fi
    done < <(awk -v known="$known" -v ran="$ran" '
        BEGIN { while ((getline l < known) > 0) have[l] = 1; while ((getline l < ran) > 0) out[l] = 1 }
        /^```c/ { inb = 1; isc = 1; b++; bad[b] = ""; next }
        /^```./ { inb = 1; isc = 0; b++; bad[b] = ""; next }
        /^```/  { if (inb) { print b "\t" (bad[b] == "" ? "OK" : bad[b]) } inb = 0; next }
        inb && isc { t = $0; sub(/^[ \t]+/, "", t); sub(/[ \t]+$/, "", t)
              if (t != "" && t != "..." && !(t in have) && bad[b] == "") bad[b] = "optimfs.h or bench/*.c: " t }
        inb && !isc { t = $0; sub(/[ \t]+$/, "", t)
              if (t != "" && t != "..." && !(t in out) && bad[b] == "") bad[b] = "tutorial/data/bench.txt: " t }' "$md")
    rm -f "$known" "$ran"
done
echo "check_excerpts: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

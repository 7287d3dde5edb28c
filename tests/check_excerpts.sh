#!/usr/bin/env bash
# Every code excerpt in the tutorial is real code: each line of a ```c block in
# tutorial/NN-*.md must appear in optimfs.h or in that chapter's examples/chNN_*.c.
# Prints one line per stale excerpt, then "check_excerpts: N passed, N failed".
cd "$(dirname "$0")/.."
pass=0; fail=0
for md in tutorial/[0-9][0-9]-*.md; do
    [ -e "$md" ] || continue
    nn=$(basename "$md" | cut -c1-2)
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
echo "check_excerpts: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

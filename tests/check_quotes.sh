#!/usr/bin/env bash
# Every number a chapter quotes is printed by its program. For each tutorial/NN-*.md
# whose program examples/chNN_*.c runs without data, this runs build/chNN_* in full
# mode (as a reader runs it), or reads the committed output of its full run (FROM_LOG,
# below), and checks two things:
#  1. Output blocks. Every line of a fenced block with no language or "text" is a
#     whole line the program prints (trailing blanks ignored; "..." elides). A block
#     right after a line "<!-- measured -->" holds timings, which vary from machine to
#     machine: its lines are compared with every number masked.
#  2. Numbers in the prose. Every decimal number with three or more significant
#     digits outside code blocks and code spans (a minus sign aside) is a number the
#     program prints, as printed or rounded to the digits quoted; or one that a
#     chapter linked in the same paragraph prints; or one listed on a line
#     "<!-- not printed: N N ... -->" of the chapter (a formula's constants, say).
#     In the chapters of INTEGERS (below), whole numbers of three or more digits count
#     too ("1,372" is 1372): a step count, a number of runs, a layer's width.
# Prints one line per failure, then "check_quotes: N passed, N failed".
# Run from the repository root after `make` (it needs build/chNN_*).
cd "$(dirname "$0")/.." || exit 1

# Chapters these checks cannot hold yet, and why. Remove a chapter from a list once
# it passes.
NEED_DATA=""
# Chapters whose runs on MNIST are committed: their "program output" is the files
# tutorial/data/chNN_*.txt, as the program printed them, and a number of the prose
# must be found there as printed (no rounding). A line of those files that starts
# with "#" (a command, a comment) is no output: no number is read from it.
# (15: tutorial/data/ch15_runs.sh writes them.)
COMMITTED="15 16"
# Chapters whose program needs MNIST and whose full run's output is committed as
# tutorial/data/PROGRAM.txt (15b: tutorial/data/ch15b_practice.txt): their quotes are
# checked against that file. Where the data is (data/mnist), the program is run too,
# and its output must be that file, line for line (a stale file fails).
FROM_LOG="15b"
# Committed outputs of runs on MNIST that a chapter quotes besides its own program's,
# as "ID:FILE": a number of the chapter's prose that its program does not print must
# be in FILE as printed (no rounding; "#" lines read as above).
EXTRA_LOGS="11b:tutorial/data/ch11b_mnist.txt"
# Reference documents whose output blocks and numbers are a chapter's program's, as
# "FILE:ID": each is checked as that chapter's text is.
REFERENCES="docs/schedules.md:12"
# Chapters whose prose's whole numbers (three digits or more, outside code) must be
# printed as well, not only its decimals: the steps to a target, the runs of a sweep.
INTEGERS="16"
# check_quotes.sh [ID ...] checks only those chapters (and the references of those).
ONLY="$*"
BLOCKS_NOT_YET=""
PROSE_NOT_YET=""

in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

pass=0; fail=0
mkdir -p build/quotes
# Chapter id of tutorial/04b-quasi-newton.md is 04b; its program is build/ch04b_*. A
# chapter may have several programs (11b: ch11b_after_adam and ch11b_wrappers): its
# quotes may come from any of them, and every one must be built and run cleanly.
progs_of() { local s; for s in examples/ch"$1"_*.c; do [ -f "$s" ] && echo build/"$(basename "$s" .c)"; done; }
prog_of() { local p; for p in $(progs_of "$1"); do [ -x "$p" ] && { echo "$p"; return; }; done; }
log_of() { local s; for s in examples/ch"$1"_*.c; do [ -f "$s" ] && { echo tutorial/data/"$(basename "$s" .c)".txt; return; }; done; }
output_of() {   # the programs' outputs, each run once, kept together in build/quotes/ID.txt
    local id=$1 p n
    if in_list "$id" "$FROM_LOG"; then p=$(log_of "$id"); [ -f "$p" ] && echo "$p"; return; fi
    if [ ! -f build/quotes/"$id".txt ] && in_list "$id" "$COMMITTED"; then
        cat tutorial/data/ch"$id"_*.txt > build/quotes/"$id".txt 2>/dev/null || { echo "FAIL tutorial/data/ch${id}_*.txt: not found"; return 1; }
    fi
    if [ ! -f build/quotes/"$id".txt ]; then
        for p in $(progs_of "$id"); do
            n=build/quotes/"$id"_$(basename "$p").out
            [ -x "$p" ] || { echo "FAIL $p is not built (run make)" >&2; return 1; }
            "$p" > "$n" 2>&1 || { echo "FAIL $p exited $? (output in $n)" >&2; return 1; }
        done
        cat build/quotes/"$id"_*.out > build/quotes/"$id".txt 2>/dev/null || return 1
    fi
    echo build/quotes/"$id".txt
}
# check_md MD OUT OTHERS CHECKS: MD's output blocks and prose against the output OUT
# (and OTHERS, "ID=FILE ..." of the chapters it links to); CHECKS: "blocks prose";
# EXACT 1: a number of the prose must be in OUT as printed, not rounded; EXTRA: a
# committed log whose numbers the prose may quote, as printed.
check_md() {
    local md=$1 out=$2 others=$3 checks=$4 exact=${5:-0} extra=${6:-} ints=${7:-0} line
    awk -v out="$out" -v others="$others" -v checks="$checks" -v exact="$exact" -v extra="$extra" -v committed="$COMMITTED" -v ints="$ints" '
        function mask(s) { gsub(/[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?/, "#", s); gsub(/[ \t]+/, " ", s); return s }
        function trim_r(s) { sub(/[ \t\r]+$/, "", s); return s }
        function sig(t,   m) { m = t; sub(/e.*/, "", m); gsub(/\./, "", m); sub(/^0+/, "", m); return length(m) }
        function decimals(t,   m) { m = t; sub(/e.*/, "", m); if (index(m, ".") == 0) return 0; sub(/^[^.]*\./, "", m); return length(m) }
        # t as the number v would print with the same digits: printed, or rounded.
        function same(t, v,   k, fmt) {
            k = decimals(t)
            if (t ~ /e/) { fmt = "%." k "e"; return sprintf(fmt, v) == sprintf(fmt, t + 0) }
            fmt = "%." k "f"; return sprintf(fmt, v) == t
        }
        function load(file, tag, nocomments,   l, s, n) {
            while ((getline l < file) > 0) {
                l = trim_r(l)
                if (nocomments && l ~ /^#/) continue
                line[l] = 1; masked[mask(l)] = 1
                s = l
                while (match(s, /[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?/)) {
                    n = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
                    if (!((tag, n) in num)) { num[tag, n] = 1; cnt[tag]++; val[tag, cnt[tag]] = n + 0 }
                }
            }
            close(file)
        }
        function printed(t, tag,   i) {
            if ((tag, t) in num) return 1
            if ((exact && tag == "self") || tag == "extra") return 0
            for (i = 1; i <= cnt[tag]; i++) if (same(t, val[tag, i])) return 1
            return 0
        }
        # Prose is checked a paragraph at a time: a number may come from a chapter the
        # paragraph links to.
        function flush(   s, r, t, pre, ok, c, nl) {
            if (para == "") return
            delete linked; nl = 0; r = para
            while (match(r, /\]\([0-9][0-9][a-z]*-[^)]*\.md/)) { t = substr(r, RSTART + 2, RLENGTH - 2); sub(/-.*/, "", t); linked[t] = 1; nl++; r = substr(r, RSTART + RLENGTH) }
            s = para; gsub(/`[^`]*`/, "", s)
            while (match(s, /[0-9]+\.[0-9]+(e[-+]?[0-9]+)?/)) {
                t = substr(s, RSTART, RLENGTH); pre = substr(s, RSTART - 1, 1); s = substr(s, RSTART + RLENGTH)
                if (pre ~ /[A-Za-z_.^]/ || sig(t) < 3 || (t in allowed)) continue
                ok = printed(t, "self")
                if (!ok && extra != "") ok = printed(t, "extra")
                for (c in linked) if (!ok) ok = printed(t, c)
                if (ok) print "OK"; else print "paragraph at line " pline ": the number " t " is not printed by the program" (nl ? " or a chapter the paragraph links to" : "")
            }
            if (ints) {   # whole numbers: the decimals taken out first, "1,372" read as 1372
                s = para; gsub(/`[^`]*`/, "", s); gsub(/[0-9]+\.[0-9]+(e[-+]?[0-9]+)?/, " ", s)
                while (match(s, /[0-9][0-9,]*[0-9]/)) {
                    t = substr(s, RSTART, RLENGTH); pre = substr(s, RSTART - 1, 1); s = substr(s, RSTART + RLENGTH)
                    gsub(/,/, "", t)
                    if (pre ~ /[A-Za-z_.^]/ || length(t) < 3 || (t in allowed)) continue
                    ok = printed(t, "self")
                    if (!ok && extra != "") ok = printed(t, "extra")
                    for (c in linked) if (!ok) ok = printed(t, c)
                    if (ok) print "OK"; else print "paragraph at line " pline ": the whole number " t " is not printed by the program" (nl ? " or a chapter the paragraph links to" : "")
                }
            }
            para = ""
        }
        BEGIN {
            load(out, "self", exact)
            if (extra != "") load(extra, "extra", 1)
            n = split(others, o, " ")
            for (i = 1; i <= n; i++) { split(o[i], kv, "="); load(kv[2], kv[1], index(" " committed " ", " " kv[1] " ") > 0) }
            doblocks = index(checks, "blocks") > 0; doprose = index(checks, "prose") > 0
        }
        /^<!-- not printed:/ { s = $0; sub(/^<!-- not printed:/, "", s); sub(/-->.*/, "", s); k = split(s, a, " "); for (i = 1; i <= k; i++) allowed[a[i]] = 1; next }
        /^<!-- measured -->/ { measured_next = 1; next }
        /^```/ {
            if (doprose && !inb) flush()
            if (inb) { if (isout && doblocks) print (bad == "" ? "OK" : "output block " b ": not printed by the program: " bad); inb = 0; measured_next = 0; next }
            inb = 1; info = substr($0, 4); isout = (info == "" || info == "text"); bad = ""; meas = measured_next; measured_next = 0
            if (isout) b++
            next
        }
        inb && isout && doblocks {
            t = trim_r($0)
            if (t == "" || t == "...") next
            if (meas ? !(mask(t) in masked) : !(t in line)) { if (bad == "") bad = t }
            next
        }
        inb { next }
        doprose && /^[ \t]*$/ { flush(); next }
        doprose && $0 !~ /^<!--/ { if (para == "") pline = FNR; para = para " " $0 }
        END { if (doprose) flush() }' "$md" > build/quotes/check.txt || echo "the check itself failed (awk exited $?)" >> build/quotes/check.txt
    while IFS= read -r line; do
        case "$line" in
            OK) pass=$((pass + 1)) ;;
            *) fail=$((fail + 1)); echo "FAIL $md: $line" ;;
        esac
    done < build/quotes/check.txt
}

rm -f build/quotes/*.txt build/quotes/*.out

for md in tutorial/[0-9][0-9]*-*.md; do
    [ -e "$md" ] || continue
    base=$(basename "$md"); id=${base%%-*}
    in_list "$id" "$NEED_DATA" && continue
    [ -z "$ONLY" ] || in_list "$id" "$ONLY" || continue
    ls examples/ch"$id"_*.c >/dev/null 2>&1 || continue
    if in_list "$id" "$FROM_LOG"; then
        log=$(log_of "$id"); p=$(prog_of "$id")
        if [ ! -f "$log" ]; then echo "FAIL $md: $log, the output of its program's full run, is missing"; fail=$((fail + 1)); continue; fi
        if [ -f data/mnist/train-images-idx3-ubyte ] && [ -n "$p" ]; then
            if "$p" > build/quotes/"$id".txt 2>&1 && diff -q build/quotes/"$id".txt "$log" >/dev/null; then pass=$((pass + 1))
            else fail=$((fail + 1)); echo "FAIL $md: $p prints something else than $log (see diff build/quotes/$id.txt $log)"; fi
        fi
    fi
    if ! out=$(output_of "$id"); then
        [ -n "$(prog_of "$id")" ] || echo "FAIL $md: build/ch${id}_* is not built (run make)"
        fail=$((fail + 1)); continue
    fi
    # Outputs of the chapters this one links to (for numbers quoted from them).
    others=""
    for o in $(grep -o '](\([0-9][0-9][a-z]*\)-[^)]*\.md' "$md" | sed 's/^](//; s/-.*//' | sort -u); do
        [ "$o" = "$id" ] && continue
        in_list "$o" "$NEED_DATA" && continue
        f=$(output_of "$o") && others="$others $o=$f"
    done
    checks="blocks prose"
    in_list "$id" "$BLOCKS_NOT_YET" && checks=${checks/blocks/}
    in_list "$id" "$PROSE_NOT_YET" && checks=${checks/prose/}
    exact=0; in_list "$id" "$COMMITTED" && exact=1
    extra=""
    for e in $EXTRA_LOGS; do
        [ "${e%%:*}" = "$id" ] || continue
        extra=${e#*:}
        if [ ! -f "$extra" ]; then echo "FAIL $md: $extra, a committed output it quotes, is missing"; fail=$((fail + 1)); extra=""; fi
    done
    ints=0; in_list "$id" "$INTEGERS" && ints=1
    check_md "$md" "$out" "$others" "$checks" "$exact" "$extra" "$ints"
done
for ref in $REFERENCES; do
    md=${ref%%:*}; id=${ref##*:}
    [ -z "$ONLY" ] || in_list "$id" "$ONLY" || continue
    if [ ! -f "$md" ]; then echo "FAIL $md: missing"; fail=$((fail + 1)); continue; fi
    if ! out=$(output_of "$id"); then echo "FAIL $md: no output of build/ch${id}_* (run make)"; fail=$((fail + 1)); continue; fi
    check_md "$md" "$out" "" "blocks prose"
done
echo "check_quotes: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# The speed gate: instruction counts of the inner step and the adaptation on every QEMU core
# (bench.sh, exact under `-icount`) against the ones committed in speed.txt. Fails when a
# span takes more than 3 % more instructions than its committed count, or when a committed
# span is no longer measured. Faster spans pass (and are pointed out: lock them in with
# --update).
#
#   ./speed.sh            # check (ci.sh runs this)
#   ./speed.sh --update   # rewrite speed.txt from this build, after a deliberate change
#
# Needs what ci.sh installs; builds the QEMU boards' release firmware if needed.
set -euo pipefail
cd "$(dirname "$0")"

update=false
case "${1:-}" in
--update) update=true ;;
"") ;;
*)
    echo "usage: $0 [--update]" >&2
    exit 2
    ;;
esac

# Allowed growth, in percent.
SLOWER_PERCENT=3
committed=speed.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

./bench.sh "$work" | awk '$4 == "inner-step" || $4 ~ /^adaptation-/' >"$work/now"

if $update; then
    {
        echo "# Instructions per span under QEMU -icount shift=10 (boards/bench.sh): the speed gate's"
        echo "# reference. ci.sh fails when a span takes more than $SLOWER_PERCENT % more than this."
        echo "# Regenerate deliberately with ./speed.sh --update."
        echo "# core precision network span instructions"
        cat "$work/now"
    } >"$committed"
    echo "speed.sh: wrote $committed ($(wc -l <"$work/now") spans)"
    exit 0
fi

# Joins the committed counts with this build's by (core, precision, network, span) and
# prints one row per committed span; the last column says whether it passes.
awk -v limit="$SLOWER_PERCENT" '
    FNR == NR { now[$1 " " $2 " " $3 " " $4] = $5; next }
    /^#/ || NF == 0 { next }
    {
        key = $1 " " $2 " " $3 " " $4
        if (!(key in now)) { printf "%-50s %12s %12s %8s  MISSING\n", key, $5, "-", "-"; bad = 1; next }
        change = (now[key] - $5) * 100 / $5
        verdict = "ok"
        if (now[key] * 100 > $5 * (100 + limit)) { verdict = "SLOWER"; bad = 1 }
        else if (now[key] * 100 < $5 * (100 - limit)) verdict = "faster"
        printf "%-50s %12d %12d %+7.2f%%  %s\n", key, $5, now[key], change, verdict
        seen[key] = 1
    }
    END {
        for (key in now) if (!(key in seen)) printf "%-50s %12s %12d %8s  not gated\n", key, "-", now[key], "-"
        exit bad
    }' "$work/now" "$committed" >"$work/report" && status=0 || status=$?

printf "%-50s %12s %12s %8s\n" "span" "committed" "now" "change"
cat "$work/report"
if ((status != 0)); then
    echo "speed.sh: a span is more than $SLOWER_PERCENT % slower than $committed, or no longer measured" >&2
    echo "speed.sh: if that is deliberate, run ./speed.sh --update and commit $committed" >&2
    exit 1
fi
if grep -q 'faster$\|not gated$' "$work/report"; then
    echo "speed.sh: some spans are faster or new: ./speed.sh --update locks them in"
fi
echo "speed.sh: no span more than $SLOWER_PERCENT % slower than $committed"

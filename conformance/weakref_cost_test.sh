#!/bin/sh
# weakref_cost_test.sh BENCH — a weakref's death costs what its object has, not what the
# heap has (issue: per-object weakref lists). The weakcache workload is run under callgrind
# (exact instruction counts, the same on every run: work done, not time) with 1 000 and
# 10 000 live weakrefs on each counting collector (over pool: the allocator's own cost is
# flat too, where glibc's grows with its heap); the instructions per object must not
# grow by more than a quarter while the live weakrefs grow tenfold. Prints TAP.
set -u
bench=$1
export GLIBC_TUNABLES=glibc.rtld.optional_static_tls=8192 # as the harness runs it: no re-exec
tmp=${TEST_TMPDIR:-/tmp}/weakref_cost.$$
mkdir -p "$tmp"
n=0 fails=0

# instructions per object of weakcache on heap $1 with $2 live entries
per_object() {
    valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$tmp/cg.out" "$bench" \
        "--benchmark_filter=^weakcache/$1/" --benchmark_format=json --param=weakcache.live="$2" \
        --param=weakcache.steps=5000 --param=weakcache.runs=1 >"$tmp/out.json" 2>"$tmp/err" || {
        echo "# valgrind failed: $(tail -1 "$tmp/err")" >&2
        return 1
    }
    /usr/bin/python3 - "$tmp/cg.out" "$tmp/out.json" <<'PY'
import json, sys
ir = next(int(l.split()[1]) for l in open(sys.argv[1]) if l.startswith(("totals:", "summary:")))
ops = json.load(open(sys.argv[2]))["benchmarks"][0]["ops"]
print(f"{ir / ops:.1f}")
PY
}

if ! command -v valgrind >/dev/null; then
    echo "1..1"
    echo "not ok 1 - weakref_cost.valgrind"
    echo "# valgrind is not installed (apt-get install valgrind): the exact counts need it"
    echo "# 0 passed, 1 failed, 0 skipped"
    exit 1
fi
echo "1..3"
for heap in manual/pool rc/pool rc-gen/pool; do
    n=$((n + 1))
    small=$(per_object "$heap" 1000) && large=$(per_object "$heap" 10000)
    if [ -n "${small:-}" ] && [ -n "${large:-}" ] &&
        /usr/bin/python3 -c "import sys; sys.exit(0 if $large <= 1.25 * $small else 1)"; then
        echo "ok $n - weakref_cost.flat[$heap]"
        echo "# $small instructions per object at 1000 live weakrefs, $large at 10000"
    else
        echo "not ok $n - weakref_cost.flat[$heap]"
        echo "# ${small:-?} instructions per object at 1000 live weakrefs, ${large:-?} at 10000: more than 1.25 x"
        fails=$((fails + 1))
    fi
done
rm -rf "$tmp"
echo "# $((n - fails)) passed, $fails failed, 0 skipped"
[ "$fails" -eq 0 ]

#!/bin/sh
# fuzz.sh — fuzz the trace reader with libFuzzer (clang): ./workloads/trace/fuzz.sh [SECONDS]
# Builds fuzz_reader.c with ASan+UBSan and runs it on a scratch copy of corpus/. When the run
# ends cleanly, corpus/ becomes its named seeds (hand-made, with a '-' in the name) plus a
# minimal set of inputs (libFuzzer's -merge) covering everything the run reached.
# trace_test replays every corpus file on each ./mmbench test.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-180}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clang -g -O1 -std=c11 -D_DEFAULT_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -I"$root" "$root/workloads/trace/fuzz_reader.c" "$root/workloads/trace/trace.c" -o "$work/fuzz_reader"
mkdir "$work/corpus"
cp "$root/workloads/trace/corpus/"* "$work/corpus/"
"$work/fuzz_reader" -max_total_time="$seconds" -max_len=1024 -timeout=10 "$work/corpus" 2>"$work/log" ||
    { tail -40 "$work/log"; exit 1; }
grep -E "^#[0-9]+ *DONE" "$work/log" || tail -3 "$work/log"
# keep a minimal set that covers what the whole run covered
mkdir "$work/min"
"$work/fuzz_reader" -merge=1 "$work/min" "$work/corpus" 2>/dev/null
find "$root/workloads/trace/corpus" -type f ! -name '*-*' -delete
for f in "$work/min/"*; do [ -e "$root/workloads/trace/corpus/$(basename "$f")" ] || cp "$f" "$root/workloads/trace/corpus/"; done
echo "corpus: $(ls "$root/workloads/trace/corpus" | wc -l) files"

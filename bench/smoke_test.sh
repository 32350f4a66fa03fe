#!/usr/bin/env bash
# Smoke test for bench/run: --smoke runs the msikv contenders, the ceiling and
# the mock for a fraction of a second each (builtin load generator, no wrk,
# no peers, no network) and must print its table and write JSON and SVG.
# It asserts no timing; only behaviour (a warm cache makes no upstream call).
set -euo pipefail
r="$TEST_SRCDIR/$TEST_WORKSPACE"
out="$TEST_TMPDIR/bench.json"
"$r/bench/run" --smoke --no-build --bin-dir "$r" --out "$out" >"$TEST_TMPDIR/table.txt"
cat "$TEST_TMPDIR/table.txt"
fail() { echo "FAIL: $*" >&2; exit 1; }
grep -q '^| contender | /ping req/s |' "$TEST_TMPDIR/table.txt" || fail "no table header"
for row in 'ceiling (bare libmicrohttpd)' '\*\*msikv\*\*, warm cache' '\*\*msikv\*\*, SECRET_CACHE_TTL=0'; do
  grep -q "^| $row |" "$TEST_TMPDIR/table.txt" || fail "no row for $row"
done
grep -q '^| \*\*msikv\*\*, warm cache |.*| 0\.00 + 0\.00 |$' "$TEST_TMPDIR/table.txt" ||
  fail "the warm cache made upstream calls"
grep -q '^| target | wanted | measured | result |' "$TEST_TMPDIR/table.txt" || fail "no targets table"
grep -q 'validation on' "$TEST_TMPDIR/table.txt" || fail "the mock's token validation is off"
grep -q '"contenders": \[' "$out" || fail "JSON without contenders"
grep -q '"targets": \[' "$out" || fail "JSON without targets"
if grep -q '": ,' "$out"; then fail "JSON has an empty value"; fi
grep -q '^<svg ' "${out%.json}.svg" || fail "no SVG chart"
if [ -x /usr/bin/python3 ]; then
  /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out" || fail "invalid JSON"
fi
echo "PASS"

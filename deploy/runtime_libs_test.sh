#!/usr/bin/env bash
# Proves deploy/Dockerfile's runtime stage installs every shared library the
# built binaries need directly, and that its build stage installs exactly
# what scripts/test installs (both read scripts/packages.txt).
set -uo pipefail
root="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-msikv}"
dockerfile="$root/deploy/Dockerfile"
binaries=("$root/app/webapp" "$root/cli/msikv")
failures=0
checks=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# The runtime stage: everything after the last FROM; its apt-get install list.
runtime=$(awk '/^FROM /{stage=$0; buf=""} {buf=buf"\n"$0} END{print buf}' "$dockerfile")
runtime_pkgs=$(printf '%s\n' "$runtime" | sed -n '/apt-get install/,/&&/p' |
  tr ' \\' '\n\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' |
  grep -vE '^(apt-get|install|rm|useradd|DEBIAN_FRONTEND|update)$')
echo "runtime packages: $(echo $runtime_pkgs)"

package_of() { # a library path -> its Debian package, trying the /usr path too
  local path="$1" pkg
  for p in "$path" "/usr${path#/usr}" "${path/#\/usr/}"; do
    pkg=$(dpkg -S "$p" 2>/dev/null | awk -F: 'NR == 1 {print $1}')
    [ -n "$pkg" ] && { echo "$pkg"; return; }
  done
}

for bin in "${binaries[@]}"; do
  [ -x "$bin" ] || { fail "missing binary $bin"; continue; }
  for lib in $(readelf -d "$bin" | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p'); do
    checks=$((checks + 1))
    path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ {print $NF; exit}')
    [ -n "$path" ] || { fail "$(basename "$bin"): cannot find $lib"; continue; }
    real=$(readlink -f "$path")
    pkg=$(package_of "$path")
    [ -n "$pkg" ] || pkg=$(package_of "$real")
    if [ -z "$pkg" ]; then
      fail "$(basename "$bin"): no package owns $lib ($path)"
    elif [ "$pkg" = libc6 ]; then
      ok "$(basename "$bin"): $lib from libc6 (always present)"
    elif [ -n "${MSIKV_SANITIZER:-}" ] && [[ "$lib" =~ ^lib(a|ub|t|l)san\. ]]; then
      ok "$(basename "$bin"): $lib is the $MSIKV_SANITIZER runtime of this test build, not in the image"
    elif grep -qx "$pkg" <<<"$(printf '%s\n' $runtime_pkgs)"; then
      ok "$(basename "$bin"): $lib from $pkg, installed by the runtime stage"
    else
      fail "$(basename "$bin"): $lib comes from $pkg, which the Dockerfile's runtime stage does not install"
    fi
  done
done

# The build stage and scripts/test share scripts/packages.txt.
checks=$((checks + 1))
build_stage=$(awk '/^FROM /{n++} n==1' "$dockerfile")
# (Here-strings, not pipes: with pipefail, grep -q closing a pipe early would
# make printf's SIGPIPE fail the check at random.)
if grep -q 'COPY scripts/packages.txt' <<<"$build_stage" &&
   grep -q "apt-get install" <<<"$build_stage" &&
   grep -q "/tmp/packages.txt)" <<<"$build_stage"; then
  ok "build stage installs scripts/packages.txt"
else
  fail "the build stage does not install scripts/packages.txt"
fi
checks=$((checks + 1))
if grep -q 'scripts/packages.txt' "$root/scripts/lib.sh"; then
  ok "scripts/test installs scripts/packages.txt (scripts/lib.sh)"
else
  fail "scripts/lib.sh no longer reads scripts/packages.txt"
fi

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]

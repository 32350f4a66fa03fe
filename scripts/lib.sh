# Shared by scripts/test and scripts/demo. Source it; it defines functions only.

# Installs the packages listed in scripts/packages.txt (plus any given as
# arguments) that are not installed yet. Runs apt-get update only when needed.
msikv_install_missing() {
  local root pkgs missing=()
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  pkgs=$(grep -vE '^\s*(#|$)' "$root/scripts/packages.txt")
  for p in $pkgs "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq || return 1
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null || return 1
}

# Installs what the SDK conformance tests need (scripts/packages-test.txt),
# then the JS SDKs with `npm ci` in integration/sdk/node when node_modules is
# missing or older than package-lock.json. Never fails: it sets
# MSIKV_SDK_UNAVAILABLE to the SDKs ("python", "node") that could not be
# installed, which the tests then report as a visible SKIP.
msikv_install_test_sdks() {
  local root line pkg cmd missing=() sudo=""
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  MSIKV_SDK_UNAVAILABLE=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  while read -r pkg cmd; do
    [ -n "$cmd" ] && command -v "$cmd" >/dev/null 2>&1 && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$pkg")
  done < <(grep -vE '^\s*(#|$)' "$root/scripts/packages-test.txt")
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing (for the SDK conformance tests): ${missing[*]}"
    $sudo apt-get update -qq >/dev/null 2>&1
    if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
      # One at a time, so that one unavailable package does not block the rest.
      for pkg in "${missing[@]}"; do
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
          --no-install-recommends "$pkg" >/dev/null 2>&1 ||
          echo "warning: apt-get could not install $pkg"
      done
    fi
  fi
  if ! /usr/bin/python3 -c 'import azure.identity, azure.keyvault.secrets, msal' >/dev/null 2>&1; then
    echo "warning: /usr/bin/python3 cannot import the Azure SDK: the Python SDK tests will SKIP"
    MSIKV_SDK_UNAVAILABLE="python"
  fi
  local dir="$root/integration/sdk/node" stamp want
  stamp="$dir/node_modules/.msikv-npm-ci"
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "warning: node or npm is missing: the JS SDK tests will SKIP"
    MSIKV_SDK_UNAVAILABLE="$MSIKV_SDK_UNAVAILABLE node"
  else
    want="$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1) $(node --version)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
      echo "npm ci in integration/sdk/node"
      if (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
        echo "$want" >"$stamp"
      else
        echo "warning: npm ci failed in $dir: the JS SDK tests will SKIP"
        MSIKV_SDK_UNAVAILABLE="$MSIKV_SDK_UNAVAILABLE node"
      fi
    fi
  fi
  MSIKV_SDK_UNAVAILABLE="${MSIKV_SDK_UNAVAILABLE# }"
  export MSIKV_SDK_UNAVAILABLE
  return 0
}

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

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs one official-SDK conformance program against the real //mockserver.
# usage: run_sdk_test.sh python|node sp|mi|cert|workload|default
#
# "default" runs DefaultAzureCredential with no options at all: the script
# re-runs itself in a private network namespace (unshare -n, as root), where
# the mock listens on 127.0.0.1:443 and also plays login.microsoftonline.com
# (--tls-name), so nothing in the SDK's configuration points at the mock but
# the CA and the in-process name pinning.
#
# Starts the mock on port 0 (profile sp or appservice) in TEST_TMPDIR, loads
# the variables it prints, trusts its CA (REQUESTS_CA_BUNDLE /
# NODE_EXTRA_CA_CERTS), runs the program with the SDK unmodified, and stops
# the mock. Prints PASS, FAIL or (only when the SDK cannot be installed on
# this machine at all) SKIP.
#
# Finding the SDKs without the network:
#   python  /usr/bin/python3 must import azure.identity and
#           azure.keyvault.secrets (Debian: python3-azure python3-msal).
#   node    node_modules from `npm ci` in integration/sdk/node (scripts/test
#           runs it): $MSIKV_NODE_MODULES, else the node_modules next to the
#           real (symlink-resolved) integration/sdk/node/package.json.
# A missing SDK fails the test, unless $MSIKV_SDK_UNAVAILABLE (set by
# scripts/test when apt-get or npm ci failed) names it: then it is a SKIP.
set -uo pipefail

sdk="${1:-}"
mode="${2:-}"
case "$sdk:$mode" in
  python:sp | python:mi | python:cert | python:workload | python:default) ;;
  node:sp | node:mi | node:cert | node:workload | node:default) ;;
  *) echo "usage: $0 python|node sp|mi|cert|workload|default"; exit 2 ;;
esac
label="$sdk-sdk $mode"
root="${TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/${TEST_WORKSPACE:-}"
[ -n "${TEST_WORKSPACE:-}" ] || root="$(cd "$(dirname "$0")/../.." && pwd)"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
export HOME="$tmp/home"
mkdir -p "$HOME"

fail() { echo "FAIL: $label: $*"; exit 1; }

# ---- MSIKV_TEST_TARGET=azure (bazel test --config=azure): these conformance
# runs compare the SDKs with the mock, so there is nothing to run.
if [ "${MSIKV_TEST_TARGET:-}" = azure ]; then
  echo "[  SKIPPED ] $label: reason: needs the mock (SDK conformance against the mock)"
  exit 0
fi

# ---- "default": into a private network namespace with loopback up.
if [ "$mode" = default ] && [ -z "${MSIKV_IN_NETNS:-}" ]; then
  if ! unshare -n true 2>/dev/null; then
    echo "SKIP: $label: needs a private network namespace (unshare -n, as root) to serve port 443"
    exit 0
  fi
  export MSIKV_IN_NETNS=1
  exec unshare -n bash -c '
    if command -v ip >/dev/null 2>&1; then ip link set lo up
    else /usr/bin/python3 -c "
import fcntl, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
flags = struct.unpack(\"16sH\", fcntl.ioctl(s, 0x8913, struct.pack(\"16sH\", b\"lo\", 0)))[1]
fcntl.ioctl(s, 0x8914, struct.pack(\"16sH\", b\"lo\", flags | 0x41))"
    fi || { echo "FAIL: cannot bring up loopback in the namespace"; exit 1; }
    exec bash "$0" "$@"' "$0" "$@"
fi
missing_sdk() {
  case " ${MSIKV_SDK_UNAVAILABLE:-} " in
    *" $sdk "*)
      echo "SKIP: $label: $* (scripts/test could not install the $sdk SDK on this machine: MSIKV_SDK_UNAVAILABLE='${MSIKV_SDK_UNAVAILABLE}')"
      exit 0 ;;
  esac
  fail "$*. Install it with scripts/test (or see docs/mockserver-sdks.md)."
}

# ---- Find the SDK.
if [ "$sdk" = python ]; then
  python=/usr/bin/python3
  [ -x "$python" ] || missing_sdk "$python not found"
  if ! err=$("$python" -c 'import azure.identity, azure.keyvault.secrets, msal' 2>&1); then
    missing_sdk "$python cannot import the Azure SDK ($(echo "$err" | tail -1)); apt-get install python3-azure python3-msal"
  fi
  program="$root/integration/sdk/python/conformance.py"
else
  node="$(command -v node || true)"
  [ -n "$node" ] || missing_sdk "node is not on PATH ($PATH)"
  src_pkg="$(readlink -f "$root/integration/sdk/node/package.json")"
  src_dir="$(dirname "$src_pkg")"
  modules="${MSIKV_NODE_MODULES:-$src_dir/node_modules}"
  for p in @azure/identity @azure/keyvault-secrets; do
    [ -f "$modules/$p/package.json" ] ||
      missing_sdk "$p is not installed in $modules (run: cd integration/sdk/node && npm ci)"
  done
  # Run the sources from the real directory, so that require() finds the
  # node_modules next to them; NODE_PATH covers MSIKV_NODE_MODULES.
  program="$src_dir/conformance.js"
  export NODE_PATH="$modules"
fi
[ -f "$program" ] || fail "missing $program"

# ---- Start the mock.
mock="$root/mockserver/mockserver"
[ -x "$mock" ] || fail "missing $mock"
profile=sp
[ "$mode" = mi ] && profile=appservice
env_file="$tmp/mock-$sdk-$mode.env"
log="$tmp/mock-$sdk-$mode.log"
rm -f "$env_file"
seed_args=()
cert_client=ffffffff-0000-4000-8000-000000000001
if [ "$mode" = cert ]; then
  # A fresh certificate, registered on a service principal by the seed.
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/cert-key.pem" \
    -out "$tmp/cert.pem" -days 2 -subj /CN=msikv-sdk-conformance \
    >"$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log"; fail "openssl could not make a certificate"; }
  cat "$tmp/cert-key.pem" "$tmp/cert.pem" >"$tmp/cert-combined.pem"
  cat >"$tmp/seed.json" <<EOF
{
  "principals": [
    {"type": "service_principal", "name": "msikv-cert",
     "client_id": "$cert_client",
     "object_id": "ffffffff-0000-4000-8000-000000000002",
     "certificate_file": "$tmp/cert.pem"}
  ],
  "vaults": [
    {"name": "demo",
     "secrets": [{"name": "secret", "value": "Hello from the msikv mock Key Vault"}],
     "accessPolicies": [
       {"objectId": "ffffffff-0000-4000-8000-000000000002",
        "permissions": {"secrets": ["all"]}}]}
  ]
}
EOF
  seed_args=(--seed "$tmp/seed.json")
fi
port_args=(--port 0)
[ "$mode" = default ] && port_args=(--port 443 --tls-name login.microsoftonline.com)
"$mock" "${port_args[@]}" --profile "$profile" --state-dir "$tmp/mock-state-$mode" \
  --env-file "$env_file" "${seed_args[@]}" >"$log" 2>&1 &
mock_pid=$!
stop_mock() {
  if kill -0 "$mock_pid" 2>/dev/null; then
    kill -TERM "$mock_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$mock_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$mock_pid" 2>/dev/null
  fi
  wait "$mock_pid" 2>/dev/null
}
trap stop_mock EXIT
for _ in $(seq 100); do
  [ -s "$env_file" ] && break
  kill -0 "$mock_pid" 2>/dev/null || break
  sleep 0.1
done
if [ ! -s "$env_file" ]; then
  cat "$log"
  fail "the mockserver did not start (log above)"
fi

# The mock's variables, and nothing from the outer environment that could
# steer a credential elsewhere.
unset AZURE_CLIENT_ID AZURE_CLIENT_SECRET AZURE_TENANT_ID AZURE_AUTHORITY_HOST \
  AZURE_CLIENT_CERTIFICATE_PATH AZURE_FEDERATED_TOKEN_FILE IDENTITY_ENDPOINT \
  IDENTITY_HEADER MSI_ENDPOINT MSI_SECRET HTTPS_PROXY HTTP_PROXY https_proxy \
  http_proxy
set -a
# shellcheck disable=SC1090
. "$env_file"
set +a
export REQUESTS_CA_BUNDLE="$SSL_CERT_FILE" NODE_EXTRA_CA_CERTS="$SSL_CERT_FILE"
case "$mode" in
  cert)
    unset AZURE_CLIENT_SECRET
    export AZURE_CLIENT_ID="$cert_client" AZURE_CLIENT_CERTIFICATE_PATH="$tmp/cert-combined.pem" ;;
  default)
    # Nothing but the service principal's identity: the authority is the
    # SDK's default, https://login.microsoftonline.com.
    unset AZURE_AUTHORITY_HOST
    export MSIKV_PIN_MICROSOFT_LOGIN=1 ;;
  workload)
    # The program mints the token file through POST /admin/federated-token.
    unset AZURE_CLIENT_SECRET
    export AZURE_CLIENT_ID=f0f0f0f0-0000-4000-8000-000000000001 \
      AZURE_FEDERATED_TOKEN_FILE="$tmp/federated-token" ;;
esac
export NO_PROXY="*" AZURE_IDENTITY_DISABLE_MULTITENANTAUTH=1

echo "== $label against $KEY_VAULT_URL (mock pid $mock_pid, profile $profile)"
if [ "$sdk" = python ]; then
  (cd "$tmp" && timeout 300 "$python" "$program" "$mode")
else
  (cd "$src_dir" && timeout 300 "$node" -r "$src_dir/pin-hosts.js" "$program" "$mode")
fi
rc=$?
if ! kill -0 "$mock_pid" 2>/dev/null; then
  cat "$log"
  fail "the mockserver died during the run (log above)"
fi
case "$rc" in
  0) echo "PASS: $label" ;;
  77) missing_sdk "the program could not load the SDK" ;;
  124) echo "--- mock log"; tail -50 "$log"; fail "timed out after 300 s" ;;
  *) echo "--- mock log (last 50 lines)"; tail -50 "$log"; fail "exit code $rc" ;;
esac

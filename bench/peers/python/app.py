# SPDX-License-Identifier: MIT
"""The Key Vault sample ("Use Key Vault from App Service with Managed Service
Identity") on the official Azure SDKs for Python, as a benchmark peer for
msikv's web app: the same routes and the same output.

  GET /ping  -> "Hello world"
  GET /      -> "My secret value is <value>" (HTML)

Environment:
  PEER_MODE      "sample" (default): a new credential and client on every
                 request, as the sample does; "reuse": one of each per worker.
  KEY_VAULT_URL  (or KEY_VAULT_URI) the vault; SECRET_NAME (default "secret").
  IDENTITY_ENDPOINT, IDENTITY_HEADER  the App Service managed identity (the
                 mockserver's --env-file gives both).
  REQUESTS_CA_BUNDLE  the mock's CA (set by bench/run).
  PEER_PIN_LOCALHOST=1  resolve *.localhost to 127.0.0.1 inside the process
                 (glibc does not; the SDKs stay unmodified).

Serve with gunicorn (bench/run does):
  gunicorn --bind 127.0.0.1:8000 --workers 5 --chdir bench/peers/python app:app
"""
import html
import os
import socket

from flask import Flask

if os.environ.get("PEER_PIN_LOCALHOST") == "1":
    _getaddrinfo = socket.getaddrinfo

    def _pinned(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host or "")
        name = name.lower()
        if name == "localhost" or name.endswith(".localhost"):
            host = "127.0.0.1"
        return _getaddrinfo(host, *args, **kwargs)

    socket.getaddrinfo = _pinned

from azure.identity import ManagedIdentityCredential  # noqa: E402
from azure.keyvault.secrets import SecretClient  # noqa: E402

MODE = os.environ.get("PEER_MODE", "sample")
if MODE not in ("sample", "reuse"):
    raise SystemExit('peer: PEER_MODE must be "sample" or "reuse", not %r'
                     % MODE)
VAULT_URL = os.environ.get("KEY_VAULT_URL") or os.environ.get("KEY_VAULT_URI")
SECRET_NAME = os.environ.get("SECRET_NAME", "secret")

app = Flask(__name__)
_shared = None


def _client():
    return SecretClient(VAULT_URL, ManagedIdentityCredential())


@app.route("/ping")
def ping():
    return "Hello world", 200, {"Content-Type": "text/plain; charset=utf-8"}


@app.route("/")
def secret_page():
    global _shared
    if MODE == "reuse":
        if _shared is None:
            _shared = _client()
        client = _shared
    else:
        client = _client()
    try:
        secret = client.get_secret(SECRET_NAME)
    except Exception as err:  # The sample shows the error as the page.
        return "Could not read the secret: %s\n" % html.escape(str(err)), 500
    return ('<!doctype html><html><head><meta charset="utf-8"><title>My secret'
            '</title></head><body><p>My secret value is %s</p></body></html>\n'
            % html.escape(secret.value))

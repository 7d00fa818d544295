"""A tiny threaded fake of the Stripe Connect endpoints localstripe lacks (accounts, transfers)."""
from __future__ import annotations

import json
import re
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qsl, quote, unquote, urlsplit

FAILURE_MODES = ("500", "drop_before", "drop_after")
TRANSFER_PARAMS = {"amount", "currency", "destination", "metadata", "transfer_group",
                   "description", "source_transaction", "expand"}


class StripeHTTPError(Exception):
    def __init__(self, status: int, message: str, *, type_: str = "invalid_request_error",
                 code: Optional[str] = None, param: Optional[str] = None):
        super().__init__(message)
        self.status = status
        self.body = {"error": {k: v for k, v in {"type": type_, "message": message,
                                                 "code": code, "param": param}.items() if v}}


def parse_form(text: str) -> dict[str, Any]:
    """Undo the stripe library's form encoding: ``metadata[k]=v`` and ``a[0]=x`` become nested."""
    out: dict[str, Any] = {}
    for raw_key, value in parse_qsl(text, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+|\[\]", raw_key)
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


class FakeConnect:
    """Start with ``start()``; ``url`` is the base to give the gateway as its Connect API base."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread: Optional[threading.Thread] = None
        self.reset()

    # --- lifecycle and test controls ---------------------------------------------------------

    def start(self) -> "FakeConnect":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="fake-connect")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.accounts: dict[str, dict[str, Any]] = {}
            self.transfers: dict[str, dict[str, Any]] = {}  # insertion order = creation order
            self._idempotency: dict[str, tuple[str, int, bytes]] = {}
            self._failures: list[str] = []
            self.requests: list[dict[str, Any]] = []  # (method, path, key, params) of each call

    @property
    def transfers_created(self) -> int:
        """How many transfers were really made (replays and injected failures excluded)."""
        with self._lock:
            return len(self.transfers)

    def fail_next_transfers(self, count: int = 1, mode: str = "drop_after") -> None:
        """The next ``count`` POST /v1/transfers fail: "500" answers 500 without doing anything,
        "drop_before" closes the connection without doing anything, "drop_after" makes the
        transfer (and records its idempotent response) and then closes the connection."""
        if mode not in FAILURE_MODES:
            raise ValueError(f"mode must be one of {FAILURE_MODES}")
        with self._lock:
            self._failures.extend([mode] * count)

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        with self._lock:
            account = self._account(account_id)
            account.update(charges_enabled=True, payouts_enabled=True, details_submitted=True)
            account["capabilities"] = {name: "active" for name in account["capabilities"]}
            return account

    # --- request handling (called from handler threads) --------------------------------------

    def handle(self, method: str, path: str, params: dict[str, Any], key: Optional[str],
               canonical: str) -> tuple[int, bytes, dict[str, str], Optional[str]]:
        """Returns (status, body, extra headers, drop) where drop is "before"/"after" or None."""
        with self._lock:
            self.requests.append({"method": method, "path": path, "idempotency_key": key,
                                  "params": params})
            failure = None
            if method == "POST" and path == "/v1/transfers" and self._failures:
                failure = self._failures.pop(0)
            if failure == "500":
                body = {"error": {"type": "api_error", "message": "Injected server error."}}
                return 500, json.dumps(body).encode(), {}, None
            if failure == "drop_before":
                return 0, b"", {}, "before"
            if method == "POST" and key:
                stored = self._idempotency.get(key)
                if stored is not None:
                    if stored[0] != f"{method} {path} {canonical}":
                        err = StripeHTTPError(
                            400, "Keys for idempotent requests can only be used with the same "
                            f"parameters they were first used with. Try using a key other than "
                            f"'{key}' if you meant to execute a different request.",
                            type_="idempotency_error")
                        return err.status, json.dumps(err.body).encode(), {}, None
                    return stored[1], stored[2], {"Idempotent-Replayed": "true"}, None
            try:
                status, obj = 200, self._route(method, path, params)
            except StripeHTTPError as exc:
                status, obj = exc.status, exc.body
            body = json.dumps(obj).encode()
            # Like Stripe, keep the response once the endpoint ran; 4xx validation errors are
            # not kept, so the same key can be used again after the cause is fixed.
            if method == "POST" and key and (status < 400 or status == 402 or status >= 500):
                self._idempotency[key] = (f"{method} {path} {canonical}", status, body)
            return status, body, {}, ("after" if failure == "drop_after" else None)

    def _account(self, account_id: str, param: Optional[str] = None) -> dict[str, Any]:
        account = self.accounts.get(account_id)
        if account is None:
            raise StripeHTTPError(400 if param else 404,
                                  f"No such {param or 'account'}: '{account_id}'",
                                  code="resource_missing", param=param or "account")
        return account

    def _route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v1/accounts":
            return self._create_account(params)
        if method == "GET" and len(parts) == 3 and parts[:2] == ["v1", "accounts"]:
            return self._account(parts[2])
        if method == "POST" and path == "/v1/account_links":
            return self._create_account_link(params)
        if method == "POST" and path == "/v1/transfers":
            return self._create_transfer(params)
        if method == "GET" and path == "/v1/transfers":
            return self._list_transfers(params)
        if method == "GET" and len(parts) == 3 and parts[:2] == ["v1", "transfers"]:
            transfer = self.transfers.get(parts[2])
            if transfer is None:
                raise StripeHTTPError(404, f"No such transfer: '{parts[2]}'",
                                      code="resource_missing", param="id")
            return transfer
        if method == "POST" and len(parts) == 4 and parts[:2] == ["_fake", "accounts"]:
            return self.complete_onboarding(parts[2])
        raise StripeHTTPError(404, f"Unrecognized request URL ({method}: {path}).")

    def _create_account(self, params: dict[str, Any]) -> dict[str, Any]:
        requested = params.get("capabilities") or {}
        account = {
            "id": _new_id("acct"), "object": "account", "type": params.get("type", "express"),
            "country": params.get("country", "US"), "email": params.get("email"),
            "charges_enabled": False, "payouts_enabled": False, "details_submitted": False,
            "capabilities": {name: "inactive" for name in requested},
            "metadata": params.get("metadata") or {}, "livemode": False,
            "created": int(time.time()), "default_currency": "usd",
        }
        self.accounts[account["id"]] = account
        return account

    def _create_account_link(self, params: dict[str, Any]) -> dict[str, Any]:
        for name in ("account", "refresh_url", "return_url", "type"):
            if not params.get(name):
                raise StripeHTTPError(400, f"Missing required param: {name}.",
                                      code="parameter_missing", param=name)
        account = self._account(params["account"], param="account")
        now = int(time.time())
        back = quote(params["return_url"])
        url = f"{self.url}/_fake/onboarding/{account['id']}?return_url={back}"
        return {"object": "account_link", "url": url, "created": now, "expires_at": now + 300}

    def _create_transfer(self, params: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(params) - TRANSFER_PARAMS)
        if unknown:
            raise StripeHTTPError(400, f"Received unknown parameter: {unknown[0]}",
                                  code="parameter_unknown", param=unknown[0])
        for name in ("amount", "currency", "destination"):
            if not params.get(name):
                raise StripeHTTPError(400, f"Missing required param: {name}.",
                                      code="parameter_missing", param=name)
        if not str(params["amount"]).isdigit() or int(params["amount"]) <= 0:
            raise StripeHTTPError(400, "Invalid positive integer", code="parameter_invalid_integer",
                                  param="amount")
        account = self._account(params["destination"], param="destination")
        if account["capabilities"].get("transfers") != "active":
            raise StripeHTTPError(
                400, "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                code="insufficient_capabilities_for_transfer", param="destination")
        tr_id = _new_id("tr")
        transfer = {
            "id": tr_id, "object": "transfer", "amount": int(params["amount"]),
            "amount_reversed": 0, "currency": params["currency"].lower(),
            "destination": account["id"], "destination_payment": _new_id("py"),
            "balance_transaction": _new_id("txn"), "metadata": params.get("metadata") or {},
            "description": params.get("description"), "livemode": False, "reversed": False,
            "created": int(time.time()), "transfer_group": params.get("transfer_group"),
            "source_transaction": params.get("source_transaction"),
            "reversals": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                          "url": f"/v1/transfers/{tr_id}/reversals"},
        }
        self.transfers[tr_id] = transfer
        return transfer

    def _list_transfers(self, params: dict[str, Any]) -> dict[str, Any]:
        limit = int(params.get("limit") or 10)
        if not 1 <= limit <= 100:
            raise StripeHTTPError(400, "limit must be between 1 and 100",
                                  code="parameter_invalid_integer", param="limit")
        items = [t for t in reversed(self.transfers.values())
                 if not params.get("destination") or t["destination"] == params["destination"]]
        cursor = params.get("starting_after")
        if cursor:
            ids = [t["id"] for t in items]
            if cursor not in self.transfers:
                raise StripeHTTPError(400, f"No such transfer: '{cursor}'",
                                      code="resource_missing", param="starting_after")
            items = items[ids.index(cursor) + 1:] if cursor in ids else []
        return {"object": "list", "url": "/v1/transfers", "has_more": len(items) > limit,
                "data": items[:limit]}


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeConnect/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    @property
    def fake(self) -> FakeConnect:
        return self.server.fake  # type: ignore[attr-defined]

    def _auth_ok(self) -> bool:
        header = self.headers.get("Authorization", "")
        return header.startswith("Bearer sk_") or header.startswith("Basic ")

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        path = split.path
        if method == "GET" and path.startswith("/_fake/onboarding/"):
            return self._onboarding_redirect(path, split.query)
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            text = self.rfile.read(length).decode("utf-8")
        else:
            text = split.query
        if not path.startswith("/_fake/") and not self._auth_ok():
            err = StripeHTTPError(401, "You did not provide an API key.")
            return self._send(err.status, json.dumps(err.body).encode(), {})
        params = parse_form(text)
        canonical = json.dumps(sorted(parse_qsl(text, keep_blank_values=True)))
        status, body, headers, drop = self.fake.handle(
            method, path, params, self.headers.get("Idempotency-Key"), canonical)
        if drop:
            return self._drop()
        self._send(status, body, headers)

    def _onboarding_redirect(self, path: str, query: str) -> None:
        """The 'hosted onboarding page': finishing it enables the account and goes back."""
        account_id = path.rsplit("/", 1)[-1]
        return_url = unquote(dict(parse_qsl(query)).get("return_url", "/"))
        try:
            self.fake.complete_onboarding(account_id)
        except StripeHTTPError as exc:
            return self._send(exc.status, json.dumps(exc.body).encode(), {})
        self.send_response(302)
        self.send_header("Location", return_url)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", _new_id("req"))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _drop(self) -> None:
        """Close the socket without answering, as a network failure or a crash would."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:  # the socket was dropped on purpose
            pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

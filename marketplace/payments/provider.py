"""Where the rest of payments gets its gateway and settings, and the SQLite write lock for money writes."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ..extensions import db
from .gateway import PaymentGateway, build_gateway
from .gateway_simulated import SimulatedState

EXTENSION_KEY = "payments_gateway"
WRITE_LOCK_OPTION = "fairtrain_write_lock"


def gateway() -> PaymentGateway:
    """The app's gateway, built once from config: Stripe when STRIPE_SECRET_KEY is set, else the simulated one.

    The simulated records live in STRIPE_SIMULATED_STATE_FILE when it is set (the demo: web, scheduler and seed
    processes share it), otherwise in this process's memory (tests). Tests may put their own gateway in
    `app.extensions["payments_gateway"]`.
    """
    app = current_app
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        cfg = app.config
        state = None
        if not cfg.get("STRIPE_SECRET_KEY"):
            path = cfg.get("STRIPE_SIMULATED_STATE_FILE")
            if path:
                from .simulated_store import FileBackedSimulatedState
                state = FileBackedSimulatedState(path)
            else:
                state = SimulatedState()
        found = build_gateway(secret_key=cfg.get("STRIPE_SECRET_KEY"),
                              webhook_secret=cfg.get("STRIPE_WEBHOOK_SECRET"),
                              api_base=cfg.get("STRIPE_API_BASE"),
                              connect_api_base=cfg.get("STRIPE_CONNECT_API_BASE"), simulated_state=state)
        app.extensions[EXTENSION_KEY] = found
    return found


def connect_webhook_gateway() -> PaymentGateway | None:
    """A verifier for Connect events when they are signed with their own secret (a separate Stripe endpoint)."""
    secret = current_app.config.get("STRIPE_CONNECT_WEBHOOK_SECRET")
    if not secret:
        return None
    return build_gateway(secret_key=None, webhook_secret=secret)


def currency() -> str:
    return current_app.config.get("CURRENCY", "usd").lower()


def setting(name: str, default=None):
    return current_app.config.get(name, default)


def begin_write() -> None:
    """Start the session's transaction as a writer before a money change reads what it will change.

    On SQLite a transaction that has read and then writes fails at once (SQLITE_BUSY) if another writer
    committed in between; BEGIN IMMEDIATE takes the write lock first, so concurrent writers queue. Any read-only
    transaction already open is committed first. PostgreSQL needs nothing: the guarded UPDATEs lock rows.
    Called by views, scheduled bodies and CLI commands (they own the transaction), never by services.
    """
    session = db.session()  # the scoped session's current Session
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={WRITE_LOCK_OPTION: True})


@event.listens_for(Engine, "set_connection_execution_options")
def _flag_begin_immediate(conn, opts):
    # Runs before the session's BEGIN; the app's begin hook reads this flag and emits BEGIN IMMEDIATE.
    if opts.get(WRITE_LOCK_OPTION):
        conn.info["begin_immediate"] = True

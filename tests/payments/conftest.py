"""Fixtures for gateway tests: localstripe (payments), a fake Connect server, and both adapters."""
from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

from marketplace.payments.gateway import PaymentGateway, build_gateway
from marketplace.payments.gateway_simulated import SimulatedState

try:
    from .fake_connect import FakeConnect  # when tests/ is a package
except ImportError:
    from fake_connect import FakeConnect  # pytest's default "prepend" import mode

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCALSTRIPE_VERSION = "1.15.10"
INSTALL_HINT = (f"python3 -m venv .venv-localstripe && "
                f".venv-localstripe/bin/pip install localstripe=={LOCALSTRIPE_VERSION}")
# Any sk_ key works for localstripe and the fake; it is never sent anywhere else.
TEST_SECRET_KEY = "sk_test_fairtrain_local"
TEST_WEBHOOK_SECRET = "whsec_test_contract_secret"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _localstripe_bin() -> Path:
    return Path(os.environ.get("LOCALSTRIPE_BIN")
                or REPO_ROOT / ".venv-localstripe" / "bin" / "localstripe")


def _flush_localstripe(url: str) -> None:
    req = urllib.request.Request(f"{url}/_config/data", method="DELETE")
    with urllib.request.urlopen(req, timeout=5) as resp:
        resp.read()


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A localstripe server for the whole session. It is a required test dependency, so a
    missing or broken install fails the tests that need it instead of skipping them."""
    binary = _localstripe_bin()
    if not binary.exists():
        pytest.fail(f"localstripe not found at {binary}. Install it in its own venv from the repo "
                    f"root: `{INSTALL_HINT}` (or set LOCALSTRIPE_BIN).", pytrace=False)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    with open(log_path, "wb") as log:  # a file, not a pipe: a full pipe would block the server
        proc = subprocess.Popen([str(binary), "--port", str(port), "--from-scratch"],
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"localstripe exited with code {proc.returncode} at start-up:\n"
                            f"{log_path.read_text(errors='replace')[-3000:]}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{url}/js.stripe.com/v3/", timeout=2) as resp:
                    resp.read()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"localstripe did not answer on {url} within 30 s:\n"
                                f"{log_path.read_text(errors='replace')[-3000:]}",
                                pytrace=False)
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def localstripe(localstripe_url: str) -> str:
    """The localstripe URL, emptied before the test so tests cannot see each other's objects."""
    _flush_localstripe(localstripe_url)
    return localstripe_url


@pytest.fixture(scope="session")
def fake_connect_server() -> Iterator[FakeConnect]:
    server = FakeConnect().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_connect(fake_connect_server: FakeConnect) -> FakeConnect:
    """The fake Connect server, reset (no accounts, transfers, keys or injected failures)."""
    fake_connect_server.reset()
    return fake_connect_server


@pytest.fixture
def fake_connect_url(fake_connect: FakeConnect) -> str:
    return fake_connect.url


@dataclass
class GatewayHarness:
    """A gateway plus the test-only controls its backend offers, named alike for both."""

    kind: str
    gateway: PaymentGateway
    # (count, mode) with mode "lost_response" (made, then the reply is lost) or "unavailable".
    fail_next_transfers: Callable[[int, str], None]
    transfers_created: Callable[[], int]
    complete_onboarding: Callable[[str], None]


def _simulated_harness() -> GatewayHarness:
    state = SimulatedState(auto_complete_onboarding=False)  # explicit, like the real flow
    gateway = build_gateway(secret_key="", webhook_secret=TEST_WEBHOOK_SECRET,
                            simulated_state=state)
    return GatewayHarness("simulated", gateway, state.fail_next_transfers,
                          lambda: state.transfers_created, state.complete_onboarding)


def _stripe_harness(localstripe_url: str, fake: FakeConnect) -> GatewayHarness:
    # No library retries here, so an injected failure reaches the caller as it would after the
    # retries ran out; test_transfer_retry_replays covers the library's own retry.
    gateway = build_gateway(secret_key=TEST_SECRET_KEY, webhook_secret=TEST_WEBHOOK_SECRET,
                            api_base=localstripe_url, connect_api_base=fake.url,
                            max_network_retries=0, timeout_seconds=10)
    modes = {"lost_response": "drop_after", "unavailable": "drop_before"}

    def complete_onboarding(account_id: str) -> None:
        fake.complete_onboarding(account_id)

    return GatewayHarness("localstripe+fake", gateway,
                          lambda count, mode: fake.fail_next_transfers(count, modes[mode]),
                          lambda: fake.transfers_created, complete_onboarding)


def _file_harness(path: Path) -> GatewayHarness:
    """The simulated adapter with its records in a file, as the demo's processes share them."""
    from marketplace.payments.simulated_store import FileBackedSimulatedState

    state = FileBackedSimulatedState(path, auto_complete_onboarding=False)
    gateway = build_gateway(secret_key="", webhook_secret=TEST_WEBHOOK_SECRET, simulated_state=state)
    return GatewayHarness("simulated-file", gateway, state.fail_next_transfers,
                          lambda: state.transfers_created, state.complete_onboarding)


@pytest.fixture(params=["simulated", "simulated-file", "localstripe+fake"])
def gateway_harness(request: pytest.FixtureRequest, tmp_path: Path) -> GatewayHarness:
    if request.param == "simulated":
        return _simulated_harness()
    if request.param == "simulated-file":
        return _file_harness(tmp_path / "simulated-stripe.json")
    # Looked up lazily so that simulated-only runs never start localstripe.
    return _stripe_harness(request.getfixturevalue("localstripe"),
                           request.getfixturevalue("fake_connect"))


@pytest.fixture
def gateway(gateway_harness: GatewayHarness) -> PaymentGateway:
    """The contract-test gateway, parametrised over the simulated and the Stripe adapter."""
    return gateway_harness.gateway


# --- app-level gateways: what the money services and pages use ---------------------------------

APP_WEBHOOK_SECRET = "whsec_test_secret"  # TestConfig.STRIPE_WEBHOOK_SECRET


@dataclass
class AppGateway:
    """The gateway installed in the app for one test, with the test-only controls of its backend."""

    kind: str
    gateway: PaymentGateway
    transfers_created: Callable[[], int]
    fail_next_transfers: Callable[[int, str], None]
    complete_onboarding: Callable[[str], None]
    fake: FakeConnect | None = None
    localstripe_url: str | None = None


def install_gateway(app, gateway: PaymentGateway) -> None:
    app.extensions["payments_gateway"] = gateway  # tests/conftest.py removes it after each test


@pytest.fixture
def sim_app_gateway(app) -> AppGateway:
    """A fresh simulated gateway in the app (onboarding completes when the link is made, as in the demo)."""
    state = SimulatedState()
    gateway = build_gateway(secret_key="", webhook_secret=APP_WEBHOOK_SECRET, simulated_state=state)
    install_gateway(app, gateway)
    return AppGateway("simulated", gateway, lambda: state.transfers_created, state.fail_next_transfers,
                      state.complete_onboarding)


@pytest.fixture
def stripe_app_gateway(app, localstripe, fake_connect) -> AppGateway:
    """The real stripe library in the app: PaymentIntents and refunds on localstripe, Connect on the fake."""
    gateway = build_gateway(secret_key=TEST_SECRET_KEY, webhook_secret=APP_WEBHOOK_SECRET, api_base=localstripe,
                            connect_api_base=fake_connect.url, max_network_retries=0, timeout_seconds=10)
    install_gateway(app, gateway)
    modes = {"lost_response": "drop_after", "unavailable": "drop_before"}
    return AppGateway("localstripe+fake", gateway, lambda: fake_connect.transfers_created,
                      lambda count, mode: fake_connect.fail_next_transfers(count, modes[mode]),
                      fake_connect.complete_onboarding, fake=fake_connect, localstripe_url=localstripe)


@pytest.fixture(params=["simulated", "localstripe+fake"])
def app_gateway(request) -> AppGateway:
    """Run the test against both adapters."""
    return request.getfixturevalue("sim_app_gateway" if request.param == "simulated" else "stripe_app_gateway")

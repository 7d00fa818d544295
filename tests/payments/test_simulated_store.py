"""The demo's simulated gateway shares its records through a file: separate processes see one Stripe."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from marketplace.payments.gateway import CardDeclined, build_gateway
from marketplace.payments.simulated_store import FileBackedSimulatedState

ROOT = Path(__file__).resolve().parents[2]


def gateway_on(path):
    return build_gateway(secret_key="", webhook_secret="whsec_x", simulated_state=FileBackedSimulatedState(path))


def test_two_gateways_on_one_file_see_the_same_records(tmp_path):
    web, scheduler = gateway_on(tmp_path / "s.json"), gateway_on(tmp_path / "s.json")
    intent = web.create_payment_intent(1_000, "usd", "user:1", "charge:1")
    web.confirm_payment_intent(intent.id, "pm_card_visa")
    assert scheduler.retrieve_payment_intent(intent.id).succeeded
    account = web.create_connected_account("t@example.com", "GB", "payout-account:1")
    web.create_account_link(account.id, "https://x/refresh", "https://x/return")  # demo: ready at once
    first = scheduler.create_transfer(500, "usd", account.id, "payout:1")
    assert web.create_transfer(500, "usd", account.id, "payout:1").id == first.id
    assert web.find_transfer_by_key("payout:1").id == first.id
    with pytest.raises(CardDeclined):
        web.create_payment_intent(700, "usd", "user:1", "charge:2", "pm_card_chargeDeclined", confirm=True)
    with pytest.raises(CardDeclined) as replayed:  # a stored decline is replayed from the file
        scheduler.create_payment_intent(700, "usd", "user:1", "charge:2", "pm_card_chargeDeclined", confirm=True)
    assert replayed.value.decline_code == "generic_decline"


SCRIPT = r"""
import sys
sys.path.insert(0, {root!r})
from marketplace.payments.gateway import build_gateway
from marketplace.payments.simulated_store import FileBackedSimulatedState
gateway = build_gateway(secret_key="", webhook_secret=None, simulated_state=FileBackedSimulatedState({path!r}))
print(gateway.create_transfer(2500, "usd", {account!r}, "payout:7").id)
"""


def test_processes_racing_on_one_key_make_one_transfer(tmp_path):
    path = tmp_path / "s.json"
    gateway = gateway_on(path)
    account = gateway.create_connected_account("t@example.com", "GB", "payout-account:1")
    gateway.create_account_link(account.id, "https://x/refresh", "https://x/return")
    code = SCRIPT.format(root=str(ROOT), path=str(path), account=account.id)
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(4)]
    ids = {proc.communicate(timeout=60)[0].strip() for proc in procs}
    assert len(ids) == 1 and gateway.state.transfers_created == 1

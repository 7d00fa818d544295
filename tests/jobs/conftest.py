"""Jobs tests: every test gets its own upload folder, so stored files never leak between tests."""
import pytest


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path):
    previous = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    app.extensions.pop("fairtrain_storage", None)
    yield tmp_path / "uploads"
    app.config["UPLOAD_DIR"] = previous
    app.extensions.pop("fairtrain_storage", None)


class FakeMoney:
    """Stands in for the payments room's job subscribers: a balance per requester and an escrow per job."""

    def __init__(self):
        self.funds: dict[int, int] = {}
        self.escrow: dict[int, int] = {}
        self.keys: set[str] = set()
        self.calls: list[tuple] = []

    def published(self, job, actor):
        from marketplace.core.errors import Conflict
        self.calls.append(("published", job.id, job.budget_cents))
        if self.funds.get(job.requester_id, 0) < job.budget_cents:
            raise Conflict("Your funds do not cover this job's budget.")
        self.funds[job.requester_id] -= job.budget_cents
        self.escrow[job.id] = self.escrow.get(job.id, 0) + job.budget_cents

    def resumed(self, job, actor):
        from marketplace.core.errors import Conflict
        self.calls.append(("resumed", job.id))
        if self.escrow.get(job.id, 0) < job.hourly_rate_cents:
            raise Conflict("The escrow cannot pay for another hour.")

    def closed(self, job, actor):
        self.calls.append(("closed", job.id))
        self.funds[job.requester_id] = self.funds.get(job.requester_id, 0) + self.escrow.pop(job.id, 0)

    def budget_added(self, job, actor, amount_cents, idempotency_key):
        if idempotency_key in self.keys:
            return False
        self.keys.add(idempotency_key)
        self.funds[job.requester_id] = self.funds.get(job.requester_id, 0) - amount_cents
        self.escrow[job.id] = self.escrow.get(job.id, 0) + amount_cents
        return True


@pytest.fixture
def fake_money(monkeypatch):
    """Replace (for one test) whatever subscribes to the jobs room's money events with FakeMoney."""
    from marketplace.core import events
    money = FakeMoney()
    for name, fn in (("job.published", money.published), ("job.resumed", money.resumed),
                     ("job.closed", money.closed), ("job.budget_added", money.budget_added)):
        monkeypatch.setitem(events._subscribers, name, [fn])
    return money


@pytest.fixture
def no_money(monkeypatch):
    """As if the payments room were not installed."""
    from marketplace.core import events
    for name in ("job.published", "job.resumed", "job.closed", "job.budget_added"):
        monkeypatch.setitem(events._subscribers, name, [])

"""Work engine fixtures: a settable time provider (the pay room measures time; tests say how much)."""
import pytest

from marketplace.assignment.worktime import WorkTime

WORKED: dict[int, WorkTime] = {}


def provider(user_id, now):
    return WORKED.get(user_id, WorkTime())


@pytest.fixture
def worked(app):
    """Set a trainer's measured time: worked(user, week_minutes=..., job={job_id: minutes}, today_minutes=...)."""
    before = app.config["WORK_TIME_PROVIDER"]
    app.config["WORK_TIME_PROVIDER"] = "tests.assignment.conftest:provider"

    def _set(user, *, week_minutes=0, job=None, today_minutes=0):
        WORKED[user.id] = WorkTime(week_seconds=week_minutes * 60,
                                   job_week_seconds={k: v * 60 for k, v in (job or {}).items()},
                                   today_seconds=today_minutes * 60)
    yield _set
    WORKED.clear()
    app.config["WORK_TIME_PROVIDER"] = before  # the app's own provider (the pay room's clock) for later tests


GOOD = {"labels": ["Neither"], "justification": "No group is attacked and nothing is abusive."}

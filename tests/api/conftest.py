"""API tests share the jobs tests' fixtures (own upload folder, stand-in money subscribers)."""
from tests.jobs.conftest import fake_money, no_money, upload_dir  # noqa: F401

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

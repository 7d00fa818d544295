"""The rooms' dependency order (DESIGN.md section 3), checked by import-linter."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_rooms_import_only_rooms_below_them():
    result = subprocess.run([sys.executable, "-m", "importlinter.cli", "--config", str(ROOT / ".importlinter")],
                            cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0 and "No module named importlinter.cli" in result.stderr:
        result = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--config",
                                 str(ROOT / ".importlinter")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_only_gateway_modules_import_stripe():
    offenders = []
    for path in (ROOT / "marketplace").rglob("*.py"):
        text = path.read_text()
        if ("import stripe" in text or "from stripe" in text) and not path.name.startswith("gateway"):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_migrations_never_import_app_code():
    for path in (ROOT / "migrations" / "versions").glob("*.py"):
        assert "marketplace" not in path.read_text(), path.name

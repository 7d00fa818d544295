"""Assessment pages: trainers take tests and read results; admins review, answer contests, import, grant."""
from __future__ import annotations

from . import pages_admin, pages_trainer  # noqa: F401  (each adds its routes to bp)
from .web import bp

__all__ = ["bp"]

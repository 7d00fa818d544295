"""Imports every room's models so Alembic and create_all() see the whole schema; nothing else."""
from __future__ import annotations

import importlib
import importlib.util

from .extensions import db

ROOMS_WITH_MODELS = ("core", "accounts", "moderation", "assessments", "jobs", "assignment", "quality", "pay",
                     "payments")


def load_all() -> None:
    for room in ROOMS_WITH_MODELS:
        name = f"marketplace.{room}.models"
        if importlib.util.find_spec(f"marketplace.{room}") and importlib.util.find_spec(name):
            importlib.import_module(name)


load_all()
metadata = db.metadata

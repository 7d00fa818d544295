"""The assessments blueprint and its template filters; routes are in pages_trainer and pages_admin."""
from __future__ import annotations

from flask import Blueprint

from ..core.markdown import render_markdown, render_markdown_inline

bp = Blueprint("assessments", __name__)

bp.add_app_template_filter(render_markdown, "markdown")
bp.add_app_template_filter(render_markdown_inline, "markdown_inline")


@bp.app_template_filter("duration")
def duration(seconds: int | None) -> str:
    """12 min 5 s; 1 h 2 min."""
    if seconds is None:
        return "—"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


@bp.app_template_filter("waited")
def waited(delta) -> str:
    """How long something has waited: 4 d 1 h, 19 h, 25 min."""
    if delta is None:
        return "—"
    hours = delta.seconds // 3600
    if delta.days:
        return f"{delta.days} d {hours} h"
    return f"{hours} h" if hours else f"{delta.seconds // 60} min"

"""Hooks other rooms register on due-process events (this room sits below them and cannot call them).

- on_platform_suspension(fn): fn(user, sanction) runs when a platform-wide suspension or deactivation starts, in
  the same transaction. The pay room registers the "suspended trainers are still paid" rule here: close work in
  progress at `sanction.starts_at` and pay it up to that moment; approved work stays payable and withdrawable.
- on_country_withdrawal_effective(fn): fn(withdrawal, now) runs when a country withdrawal takes effect. The
  payments room registers the rule that earned money is paid out in full; it can also poll
  countries.pending_country_payouts() and call countries.mark_country_payouts_settled().

Hooks run in the caller's transaction: an exception rolls the whole decision back, so it never half-happens.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

_SUSPENSION_HOOKS: list[Callable] = []
_COUNTRY_HOOKS: list[Callable] = []


def on_platform_suspension(fn: Callable) -> Callable:
    if fn not in _SUSPENSION_HOOKS:
        _SUSPENSION_HOOKS.append(fn)
    return fn


def on_country_withdrawal_effective(fn: Callable) -> Callable:
    if fn not in _COUNTRY_HOOKS:
        _COUNTRY_HOOKS.append(fn)
    return fn


def remove_hook(fn: Callable) -> None:
    """Forget a hook (tests register temporary ones)."""
    for hooks in (_SUSPENSION_HOOKS, _COUNTRY_HOOKS):
        if fn in hooks:
            hooks.remove(fn)


def run_suspension_hooks(user, sanction) -> None:
    for fn in list(_SUSPENSION_HOOKS):
        log.info("moderation: suspension hook %s for user %s", getattr(fn, "__name__", fn), user.id)
        fn(user, sanction)


def run_country_hooks(withdrawal, now) -> None:
    for fn in list(_COUNTRY_HOOKS):
        log.info("moderation: country withdrawal hook %s for %s", getattr(fn, "__name__", fn), withdrawal.country)
        fn(withdrawal, now)

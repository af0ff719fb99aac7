"""Log-in: argon2, one message for both wrong parts, lock-out after 5 failures."""

from __future__ import annotations

import pytest

from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.errors import AuthError
from billing_tui.services.auth import BAD_CREDENTIALS, login


def test_login_and_audit(db, users):
    actor = login(db, "rep", "rep")
    assert actor.username == "rep" and actor.approval_limit_cents == 5000
    with UnitOfWork(db, write=False) as uow:
        assert uow.users.by_username("rep").password_hash.startswith("$argon2")
        assert [e.action for e in uow.audit_log.for_entity("user", "rep")][-1] == "login"


def test_wrong_password_and_unknown_user_say_the_same(db, users):
    with pytest.raises(AuthError) as a:
        login(db, "rep", "nope")
    with pytest.raises(AuthError) as b:
        login(db, "nobody", "rep")
    assert str(a.value) == str(b.value) == BAD_CREDENTIALS


def test_lockout_after_five_failures(db, users):
    for _ in range(5):
        with pytest.raises(AuthError, match="Unknown user name"):
            login(db, "senior", "wrong")
    with pytest.raises(AuthError, match="locked"):
        login(db, "senior", "senior")  # even the right password waits 15 minutes


def test_success_resets_failure_count(db, users):
    for _ in range(4):
        with pytest.raises(AuthError):
            login(db, "rep", "wrong")
    login(db, "rep", "rep")
    for _ in range(4):
        with pytest.raises(AuthError, match="Unknown"):
            login(db, "rep", "wrong")


def test_the_app_hashes_at_argon2s_production_cost(production_password_hasher):
    """The suite hashes at argon2's cheapest cost for speed (conftest); the app must not."""
    from argon2 import Type, extract_parameters, profiles

    used = extract_parameters(production_password_hasher().hash("rep"))
    floor = profiles.RFC_9106_LOW_MEMORY  # argon2-cffi's default: 64 MiB, 3 passes
    assert used.type is Type.ID
    assert used.memory_cost >= floor.memory_cost and used.time_cost >= floor.time_cost

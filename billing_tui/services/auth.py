"""Log-in and user management: argon2 hashes, roles, lock-out after 5 failures."""

from __future__ import annotations

from functools import lru_cache

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain.errors import AuthError, ValidationError
from billing_tui.domain.users import DEFAULT_LIMITS, Actor, Role, lockout_after_failure

# One message for an unknown user and a wrong password: no hint which part was wrong.
BAD_CREDENTIALS = "Unknown user name or wrong password."


@lru_cache(maxsize=1)
def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _verify(stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def actor_of(user: m.User) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        approval_limit_cents=user.approval_limit_cents,
    )


def login(db: Database, username: str, password: str) -> Actor:
    """Check the password; count failures; lock for 15 minutes after the 5th."""
    now = utcnow()
    with UnitOfWork(db) as uow:
        user = uow.users.by_username(username.strip())
        if user is None or not user.active:
            _verify(_dummy_hash(), password)  # same work either way: no timing hint
            uow.audit(None, "login_failed", "user", username.strip()[:40])
            uow.commit()
            raise AuthError(BAD_CREDENTIALS)
        if user.locked_until is not None and user.locked_until > now:
            minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
            uow.audit(None, "login_refused_locked", "user", user.username)
            uow.commit()
            raise AuthError(
                f"This account is locked after repeated failed log-ins; try again in "
                f"{minutes} minute{'s' if minutes != 1 else ''} or ask a supervisor."
            )
        if not _verify(user.password_hash, password):
            user.failed_logins += 1
            user.locked_until = lockout_after_failure(user.failed_logins, now)
            uow.audit(None, "login_failed", "user", user.username)
            uow.commit()
            raise AuthError(BAD_CREDENTIALS)
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        actor = actor_of(user)
        uow.audit(actor, "login", "user", user.username)
        uow.commit()
        return actor


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")


def create_user(
    db: Database,
    actor: Actor | None,
    username: str,
    password: str,
    role: Role | str,
    display_name: str | None = None,
    approval_limit_cents: int | None | str = "default",
) -> Actor:
    """Add a user; `actor` None is allowed only while no user exists (first admin)."""
    role = Role(role)
    username = username.strip()
    if not username or len(username) > 64:
        raise ValidationError("user name must be 1 to 64 characters", field="username")
    if len(password) < 3:
        raise ValidationError("password must be at least 3 characters", field="password")
    limit = DEFAULT_LIMITS[role] if approval_limit_cents == "default" else approval_limit_cents
    with UnitOfWork(db) as uow:
        if actor is not None and actor.role != Role.ADMIN:
            raise AuthError("only an admin can add users")
        if actor is None and uow.users.all():
            raise AuthError("an admin must be logged in to add users")
        if uow.users.by_username(username):
            raise ValidationError(f"user {username!r} already exists", field="username")
        user = uow.users.add(
            m.User(
                username=username,
                display_name=display_name or username.title(),
                role=str(role),
                approval_limit_cents=limit,
                password_hash=hash_password(password),
                failed_logins=0,
                active=True,
                created_at=utcnow(),
            )
        )
        uow.flush()
        uow.audit(actor, "user_created", "user", username, role=str(role))
        uow.commit()
        return actor_of(user)

"""Accounts of the web app: users with roles, server-side sessions, failed-login records (docs/web.md).

Passwords are hashed with Argon2id (argon2-cffi) at OWASP's minimum or above (m = 19 MiB, t = 2, p = 1);
a hash made with weaker parameters is upgraded at the next successful login.  A session is a random token
in an HttpOnly cookie; the database keeps only its SHA-256, so a copy of the database does not let anyone
log in.  Every write here runs in ``write_transaction`` (the registry's one write lock) and creating a user
is recorded in the audit trail (without the password hash).

Lockout: 5 failed logins for one user name within 15 minutes lock that name for the rest of the window
(whether or not the account exists, so the answer does not reveal which names exist); 30 failures from one
client address within 15 minutes throttle that client.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    Boolean,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from alscell.store.engine import write_transaction
from alscell.store.models import AUDIT_TABLE, Base

ROLES = ("admin", "clinician", "researcher", "patient")
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1
MIN_PASSWORD_LENGTH = 12
SESSION_IDLE = dt.timedelta(minutes=60)
SESSION_ABSOLUTE = dt.timedelta(hours=12)
LOCKOUT_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_CLIENT = 30
_TOUCH_EVERY = dt.timedelta(minutes=5)

_hasher = PasswordHasher(
    time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM, hash_len=32
)
# Compared against when the user name does not exist, so that a login takes as long either way.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class User(Base):
    __tablename__ = "web_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    site: Mapped[str | None] = mapped_column(String(64))
    patient_id: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    __tablename__ = "web_login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WebSetting(Base):
    __tablename__ = "web_settings"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class AccessToken(Base):
    """A personal access token for scripts (``Authorization: Bearer``); only its SHA-256 is stored."""

    __tablename__ = "web_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_used: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# The Core tables of the models (typed as ``Table``).
USERS: Table = Base.metadata.tables["web_users"]
SESSIONS: Table = Base.metadata.tables["web_sessions"]
FAILURES: Table = Base.metadata.tables["web_login_failures"]
SETTINGS: Table = Base.metadata.tables["web_settings"]
TOKENS: Table = Base.metadata.tables["web_tokens"]


class AccountError(ValueError):
    """A user that cannot be created as asked (one sentence)."""


class LoginRefused(Exception):
    """Wrong name or password, or too many failed attempts (the message never says which name exists)."""


@dataclass(frozen=True)
class Principal:
    """The logged-in user of one request."""

    user_id: int
    username: str
    role: str
    site: str | None
    patient_id: str | None
    csrf_token: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(t: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes for timezone-aware columns: they were stored as UTC."""
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
    return None


def create_user(
    engine: Engine,
    username: str,
    role: str,
    password: str,
    *,
    site: str | None = None,
    patient_id: str | None = None,
    actor: str = "cli",
) -> int:
    """Create an account; raises AccountError with one sentence when it cannot be created."""
    users = USERS
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if not username or len(username) > 64 or not username.isprintable() or username.strip() != username:
        raise AccountError("the user name must be 1-64 printable characters without surrounding spaces")
    if (problem := password_problem(password)) is not None:
        raise AccountError(problem)
    if role == "patient" and not patient_id:
        raise AccountError("a patient account needs --patient ID (the patient's own record)")
    if role != "patient" and patient_id:
        raise AccountError("only a patient account is linked to a patient record")
    digest = hash_password(password)
    with write_transaction(engine) as conn:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first() is not None:
            raise AccountError(f"the user {username!r} already exists")
        if patient_id is not None:
            patients = Base.metadata.tables["patients"]
            found = conn.execute(select(patients.c.patient_id).where(patients.c.patient_id == patient_id)).first()
            if found is None:
                raise AccountError(f"the patient {patient_id!r} is not in the registry")
        now = _now()
        row = {"username": username, "role": role, "site": site, "patient_id": patient_id, "active": True}
        user_id = conn.execute(
            insert(users).values(**row, password_hash=digest, created_at=now).returning(users.c.id)
        ).scalar_one()
        conn.execute(
            insert(AUDIT_TABLE).values(
                at=now,
                actor=actor,
                action="insert",
                table_name="web_users",
                row_key=username,
                before=None,
                after={k: v for k, v in row.items() if v is not None},
                source="account created",
            )
        )
    return int(user_id)


def set_password(engine: Engine, username: str, password: str, *, actor: str = "cli") -> None:
    """Give an existing account a new password (audited; the hash itself is never logged)."""
    if (problem := password_problem(password)) is not None:
        raise AccountError(problem)
    digest = hash_password(password)
    with write_transaction(engine) as conn:
        done = conn.execute(update(USERS).where(USERS.c.username == username).values(password_hash=digest))
        if done.rowcount != 1:
            raise AccountError(f"there is no user {username!r}")
        conn.execute(
            insert(AUDIT_TABLE).values(
                at=_now(),
                actor=actor,
                action="update",
                table_name="web_users",
                row_key=username,
                before=None,
                after={"password": "changed"},
                source="password set",
            )
        )


def _failures(conn: Connection, column, value: str, since: dt.datetime) -> int:
    failures = FAILURES
    stmt = select(func.count()).select_from(failures).where(failures.c[column] == value, failures.c.at >= since)
    return int(conn.execute(stmt).scalar_one())


def _verify(digest: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(digest, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def login(engine: Engine, username: str, password: str, client: str) -> tuple[str, Principal]:
    """Check the password and open a new session: returns the session token (for the cookie) and who it is.

    Raises LoginRefused on a wrong name or password, an inactive account, or a locked name or client."""
    username = username[:64]
    client = client[:64]
    refused: str | None = None
    active_user = select(USERS).where(USERS.c.username == username, USERS.c.active.is_(True))
    # Argon2 takes a tenth of a second of CPU on purpose: it runs before the write transaction, so logins
    # do not hold the registry's write lock while hashing (the decision below is still taken under it).
    with engine.connect() as conn:
        seen = conn.execute(active_user).first()
    checked_hash = seen.password_hash if seen is not None else _DUMMY_HASH
    ok = _verify(checked_hash, password)
    now = _now()
    with write_transaction(engine) as conn:  # a failed attempt is committed, then refused
        since = now - LOCKOUT_WINDOW
        row = conn.execute(active_user).first()
        if row is not None and row.password_hash != checked_hash:  # the password changed meanwhile
            ok = _verify(row.password_hash, password)
        if (
            _failures(conn, "username", username, since) >= MAX_FAILURES_PER_USER
            or _failures(conn, "client", client, since) >= MAX_FAILURES_PER_CLIENT
        ):
            refused = "too many failed logins: try again in 15 minutes"
        elif row is None or not ok:
            refused = "wrong user name or password"
        if refused is not None or row is None:
            conn.execute(insert(FAILURES).values(username=username, client=client, at=now))
        else:
            conn.execute(delete(FAILURES).where(FAILURES.c.username == username))
            if _hasher.check_needs_rehash(row.password_hash):
                conn.execute(USERS.update().where(USERS.c.id == row.id).values(password_hash=hash_password(password)))
            token = secrets.token_urlsafe(32)
            csrf = secrets.token_urlsafe(32)
            conn.execute(
                insert(SESSIONS).values(
                    token_hash=token_hash(token), user_id=row.id, csrf_token=csrf, created_at=now, last_seen=now
                )
            )
    if refused is not None or row is None:
        raise LoginRefused(refused)
    return token, Principal(row.id, row.username, row.role, row.site, row.patient_id, csrf)


def session_principal(engine: Engine, token: str) -> Principal | None:
    """Who the session ``token`` belongs to, or None when it is unknown, expired or the user is inactive."""
    users, sessions = USERS, SESSIONS
    key = token_hash(token)
    with engine.connect() as conn:
        row = conn.execute(
            select(sessions, users.c.username, users.c.role, users.c.site, users.c.patient_id)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.token_hash == key, users.c.active.is_(True))
        ).first()
    if row is None:
        return None
    now = _now()
    if now - _aware(row.created_at) > SESSION_ABSOLUTE or now - _aware(row.last_seen) > SESSION_IDLE:
        logout(engine, token)
        return None
    if now - _aware(row.last_seen) > _TOUCH_EVERY:
        with write_transaction(engine) as conn:
            conn.execute(sessions.update().where(sessions.c.token_hash == key).values(last_seen=now))
    return Principal(row.user_id, row.username, row.role, row.site, row.patient_id, row.csrf_token)


def logout(engine: Engine, token: str) -> None:
    """End the session (the token no longer works anywhere)."""
    sessions = SESSIONS
    with write_transaction(engine) as conn:
        conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash(token)))


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def pseudonym_key(engine: Engine) -> bytes:
    """The secret that turns patient ids into stable research pseudonyms (made on first use)."""
    settings = SETTINGS
    with engine.connect() as conn:
        value = conn.execute(select(settings.c.value).where(settings.c.name == "pseudonym_key")).scalar_one_or_none()
    if value is None:
        with write_transaction(engine) as conn:
            value = conn.execute(
                select(settings.c.value).where(settings.c.name == "pseudonym_key")
            ).scalar_one_or_none()
            if value is None:
                value = secrets.token_hex(32)
                conn.execute(insert(settings).values(name="pseudonym_key", value=value))
    return bytes.fromhex(value)


def list_users(engine: Engine) -> list[dict]:
    users = USERS
    with engine.connect() as conn:
        rows = conn.execute(
            select(users.c.username, users.c.role, users.c.site, users.c.patient_id, users.c.active).order_by(
                users.c.username
            )
        )
        return [dict(r._mapping) for r in rows]


TOKEN_LIFETIME = dt.timedelta(days=90)
TOKEN_PREFIX = "alscell_pat_"


def verify_password(engine: Engine, user_id: int, password: str, client: str) -> bool:
    """Re-authentication for an electronic signature: True when ``password`` is this user's.

    A wrong password counts as a failed login (the same lockout applies), and a locked name is refused."""
    now = _now()
    with write_transaction(engine) as conn:
        row = conn.execute(select(USERS).where(USERS.c.id == user_id, USERS.c.active.is_(True))).first()
        if row is None:
            return False
        since = now - LOCKOUT_WINDOW
        if _failures(conn, "username", row.username, since) >= MAX_FAILURES_PER_USER:
            return False
        try:
            ok: bool = _hasher.verify(row.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok:
            conn.execute(insert(FAILURES).values(username=row.username, client=client[:64], at=now))
    return ok


def create_token(engine: Engine, principal: Principal, name: str) -> str:
    """A new personal access token for ``principal`` (shown once; only its hash is kept), audited."""
    name = name.strip()
    if not name or len(name) > 64 or not name.isprintable():
        raise AccountError("the token needs a name of 1-64 printable characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = _now()
    with write_transaction(engine) as conn:
        conn.execute(
            insert(TOKENS).values(
                user_id=principal.user_id,
                name=name,
                token_hash=token_hash(token),
                created_at=now,
                expires_at=now + TOKEN_LIFETIME,
            )
        )
        conn.execute(
            insert(AUDIT_TABLE).values(
                at=now,
                actor=principal.username,
                action="insert",
                table_name="web_tokens",
                row_key=principal.username,
                before=None,
                after={"name": name},
                source="web",
                reason="personal access token created",
            )
        )
    return token


def list_tokens(engine: Engine, user_id: int) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(TOKENS.c.id, TOKENS.c.name, TOKENS.c.created_at, TOKENS.c.expires_at, TOKENS.c.last_used)
            .where(TOKENS.c.user_id == user_id)
            .order_by(TOKENS.c.id)
        )
        return [dict(r._mapping) for r in rows]


def revoke_token(engine: Engine, principal: Principal, token_id: int) -> bool:
    """Delete one of ``principal``'s own tokens; False when they have no such token."""
    with write_transaction(engine) as conn:
        name = conn.execute(
            select(TOKENS.c.name).where(TOKENS.c.id == token_id, TOKENS.c.user_id == principal.user_id)
        ).scalar_one_or_none()
        if name is None:
            return False
        conn.execute(delete(TOKENS).where(TOKENS.c.id == token_id))
        conn.execute(
            insert(AUDIT_TABLE).values(
                at=_now(),
                actor=principal.username,
                action="delete",
                table_name="web_tokens",
                row_key=principal.username,
                before={"name": name},
                after=None,
                source="web",
                reason="personal access token revoked",
            )
        )
    return True


def token_principal(engine: Engine, token: str) -> Principal | None:
    """Who the personal access token belongs to (no CSRF token: a bearer token is not sent by browsers)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    key = token_hash(token)
    with engine.connect() as conn:
        row = conn.execute(
            select(
                TOKENS.c.id,
                TOKENS.c.user_id,
                TOKENS.c.expires_at,
                TOKENS.c.last_used,
                USERS.c.username,
                USERS.c.role,
                USERS.c.site,
                USERS.c.patient_id,
            )
            .join(USERS, USERS.c.id == TOKENS.c.user_id)
            .where(TOKENS.c.token_hash == key, USERS.c.active.is_(True))
        ).first()
    if row is None:
        return None
    now = _now()
    if now > _aware(row.expires_at):
        return None
    if row.last_used is None or now - _aware(row.last_used) > _TOUCH_EVERY:
        with write_transaction(engine) as conn:
            conn.execute(TOKENS.update().where(TOKENS.c.id == row.id).values(last_used=now))
    return Principal(row.user_id, row.username, row.role, row.site, row.patient_id, "")

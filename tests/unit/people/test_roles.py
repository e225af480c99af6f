"""The permission table, scopes and the lockout rule, as data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadflow.people import roles

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_every_role_has_permissions_that_exist_and_admins_have_them_all():
    assert set(roles.ROLE_PERMISSIONS) == set(roles.ROLES) == set(roles.LEAD_VISIBILITY)
    for granted in roles.ROLE_PERMISSIONS.values():
        assert granted <= set(roles.PERMISSIONS)
    assert roles.ROLE_PERMISSIONS[roles.ADMIN] == set(roles.PERMISSIONS)
    for scope in roles.SCOPES.values():
        assert scope <= set(roles.PERMISSIONS)


def test_scopes_only_narrow_a_role_never_widen_it():
    assert roles.permissions_of("sales_rep", ["campaigns:write"]) == frozenset()
    assert roles.permissions_of("marketing", ["leads:read"]) == {"leads:read", "companies:read", "captures:read",
                                                                 "leads:export"}
    assert roles.permissions_of("telemarketer") == roles.ROLE_PERMISSIONS["telemarketer"]
    assert roles.permissions_of("nobody") == frozenset()


def test_the_fifth_failure_locks_for_fifteen_minutes_and_the_count_starts_again():
    attempts = roles.Attempts(0, None)
    for _ in range(4):
        attempts = roles.after_failure(attempts, T0)
        assert not roles.is_locked(attempts, T0)
    attempts = roles.after_failure(attempts, T0)
    assert attempts == roles.Attempts(0, T0 + timedelta(minutes=15))
    assert roles.is_locked(attempts, T0 + timedelta(minutes=14, seconds=59))
    assert not roles.is_locked(attempts, T0 + timedelta(minutes=15))


def test_passwords_need_ten_characters():
    assert roles.password_problem("123456789") == "must be at least 10 characters"
    assert roles.password_problem("1234567890") is None


def test_the_docs_show_the_permission_table_as_the_code_has_it():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[3] / "docs" / "people.md").read_text(encoding="utf-8")
    for permission, what in roles.PERMISSIONS.items():
        marks = " | ".join("✓" if permission in roles.ROLE_PERMISSIONS[r] else "" for r in roles.ROLES)
        assert f"| `{permission}` | {what} | {marks} |" in docs, permission
    for scope, kept in roles.SCOPES.items():
        assert f"| `{scope}` | " + ", ".join(f"`{p}`" for p in roles.PERMISSIONS if p in kept) + " |" in docs, scope

from __future__ import annotations

from pathlib import Path

from conformance.redaction import MASK, Redactor


def test_configured_secret_is_masked_everywhere_in_text() -> None:
    redactor = Redactor(["canary-s3cr3t-value"])
    assert redactor.text("token=canary-s3cr3t-value&x=1") == f"token={MASK}&x=1"
    assert "canary" not in redactor.text('{"a": "canary-s3cr3t-value"}')


def test_credential_headers_are_masked_whatever_their_value() -> None:
    redactor = Redactor()
    headers = redactor.headers({"Authorization": "Bearer abc", "Cookie": "a=b", "Accept": "application/json"})
    assert headers == {"Authorization": MASK, "Cookie": MASK, "Accept": "application/json"}


def test_bearer_tokens_and_token_fields_are_masked_in_bodies() -> None:
    redactor = Redactor()
    assert "eyJhbGciOi" not in redactor.text("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x.y")
    assert "zzz-secret" not in redactor.text('{"access_token": "zzz-secret", "expires_in": 3}')
    assert "hunter22" not in redactor.text("grant_type=client_credentials&client_secret=hunter22")


def test_short_values_are_not_registered() -> None:
    redactor = Redactor(["ab"])
    assert redactor.text("abc") == "abc"


def test_scrub_tree_rewrites_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.json").write_text('{"k": "canary-123456"}', encoding="utf-8")
    (tmp_path / "b.xml").write_text("<x>nothing</x>", encoding="utf-8")
    assert Redactor(["canary-123456"]).scrub_tree(tmp_path) == 1
    assert "canary" not in (tmp_path / "a" / "x.json").read_text(encoding="utf-8")

"""Campaign files: one-line errors (exit 2); a product whose run fails keeps its column, saying why."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from conformance.campaign import load_campaign
from conformance.cli import main
from conformance.runcontext import RunError

PROFILE = (
    '[product]\nname = "{name}"\n[mim1]\nbase_url = "{url}"\n[notifications]\nbind = "127.0.0.1:{port}"\n'
)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    for name, port in (("a", 0), ("b", 0), ("fixed1", 8765), ("fixed2", 8765)):
        (tmp_path / f"{name}.toml").write_text(
            PROFILE.format(name=f"Product {name}", url=f"http://127.0.0.1:{_closed_port()}", port=port),
            encoding="utf-8",
        )
    return tmp_path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[campaign\n", "not valid TOML"),
        ("[campaign]\nname = 'x'\n", "product: expected at least one [[product]]"),
        ("[campaign]\nmims = ['mim9']\n[[product]]\n", "campaign.mims: expected a non-empty list"),
        ("[campaign]\nparallel = 0\n[[product]]\n", "campaign.parallel: expected an integer >= 1"),
        ("[campaign]\ncolour = 1\n[[product]]\n", "campaign.colour: unknown key"),
        ("[other]\n", "other: unknown table"),
        ("[[product]]\nprofile = 'nowhere.toml'\n", "product #1: "),
        ("[[product]]\nprofile = 'a.toml'\nurl = 'x'\n", "product #1.url: unknown key"),
        ("[[product]]\nlabel = 'same'\n[[product]]\nlabel = 'same'\n", "'same' names two products"),
    ],
)
def test_campaign_file_errors(profiles: Path, text: str, message: str) -> None:
    path = profiles / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RunError) as info:
        load_campaign(str(path))
    assert info.value.exit_code == 2 and message in str(info.value) and "\n" not in str(info.value)


def test_labels_default_to_product_names_and_folders_are_distinct(profiles: Path) -> None:
    path = profiles / "campaign.toml"
    path.write_text("[[product]]\nprofile = 'a.toml'\n[[product]]\nlabel = 'Product/a'\n", encoding="utf-8")
    campaign = load_campaign(str(path))
    assert [p.label for p in campaign.products] == ["Product a", "Product/a"]
    assert [p.folder for p in campaign.products] == ["Product-a", "Product-a_"]


def test_two_parallel_runs_cannot_share_a_fixed_callback_port(profiles: Path, capsys) -> None:
    path = profiles / "campaign.toml"
    path.write_text(
        "[[product]]\nprofile = 'fixed1.toml'\n[[product]]\nprofile = 'fixed2.toml'\n", encoding="utf-8"
    )
    assert main(["campaign", str(path), "--parallel", "2", "--out", str(profiles / "out")]) == 2
    assert "both bind the callback port 8765" in capsys.readouterr().err


def test_a_failed_run_keeps_its_column(profiles: Path, capsys) -> None:
    path = profiles / "campaign.toml"
    path.write_text(
        "[campaign]\nmims = ['mim1']\n[[product]]\nprofile = 'a.toml'\n[[product]]\nprofile = 'b.toml'\n",
        encoding="utf-8",
    )
    assert main(["campaign", str(path), "--parallel", "2", "--out", str(profiles / "out")]) == 1
    out = capsys.readouterr().out
    assert "Product a: FAILED" in out and "Product b: FAILED" in out
    data = json.loads((profiles / "out" / "matrix.json").read_text(encoding="utf-8"))
    assert [p["label"] for p in data["products"]] == ["Product a", "Product b"]
    for product in data["products"]:
        assert not product["admitted"]
        assert product["reason"].startswith("the run ended without a certificate (exit 3)")
        assert "check the base URL" in product["reason"]
    assert "REJECTED: the run ended without a certificate" in (profiles / "out" / "matrix.html").read_text()

"""`mimcheck load`: Locust load profiles (placeholder until the load slice lands)."""

from __future__ import annotations

import argparse


def add_load_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    pass

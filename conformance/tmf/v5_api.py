"""The TM Forum client of the v5 cases: the v4 client (conformance/tmf/api.py) addressing each v5 API
at its own root (conformance/tmf/v5_resources.py, or the [mim3.roots] entry of its capability)."""

from __future__ import annotations

from conformance.tmf.api import Tmf
from conformance.tmf.v5_resources import v5_root


class TmfV5(Tmf):
    def root(self, api: str, resource: str) -> str:
        return v5_root(self.base_url, api, self.roots)

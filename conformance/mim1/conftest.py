from __future__ import annotations

import pytest

from conformance.cleanup import Cleanup
from conformance.ngsild.api import NgsiLd
from conformance.outcomes import NotApplicable
from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient


@pytest.fixture
def ngsild(http: RecordingClient, profile: TargetProfile, cleanup: Cleanup) -> NgsiLd:
    base = profile.base_url("mim1")
    if base is None:
        raise NotApplicable("the target profile declares no base_url for mim1")
    return NgsiLd(http, base, tenant=profile.tenant, cleanup=cleanup)

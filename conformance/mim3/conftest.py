from __future__ import annotations

import pytest

from conformance.cleanup import Cleanup
from conformance.outcomes import NotApplicable
from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient
from conformance.tmf.api import Tmf


@pytest.fixture
def tmf(http: RecordingClient, profile: TargetProfile, cleanup: Cleanup) -> Tmf:
    base = profile.base_url("mim3")
    if base is None:
        raise NotApplicable("the target profile declares no base_url for mim3")
    return Tmf(http, base, cleanup=cleanup, roots=profile.tmf_roots)

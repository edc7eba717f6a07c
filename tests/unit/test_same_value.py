"""checks.same_value: JSON equality where a DateTime may come back in another form of the same instant."""

from __future__ import annotations

import pytest

from conformance import checks


@pytest.mark.parametrize(
    ("got", "expected"),
    [
        ("2024-05-01T10:00:00.000Z", "2024-05-01T10:00:00Z"),
        ("2024-05-01T10:00:00.5Z", "2024-05-01T10:00:00.500Z"),
        ("2024-05-01T10:00:00+00:00", "2024-05-01T10:00:00Z"),
        (
            {"@type": "DateTime", "@value": "2024-05-01T10:00:00.000Z"},
            {"@type": "DateTime", "@value": "2024-05-01T10:00:00Z"},
        ),
        ([1.0, "x"], [1, "x"]),
    ],
)
def test_the_same_value(got: object, expected: object) -> None:
    checks.same_value("v", got, expected)


@pytest.mark.parametrize(
    ("got", "expected"),
    [
        ("2024-05-01T11:00:00Z", "2024-05-01T10:00:00Z"),
        ("2024-05-01T10:00:00", "2024-05-01T10:00:00Z"),  # no time zone: not an NGSI-LD DateTime
        ("2024-05-01", "2024-05-01T00:00:00Z"),
        (1, True),
        ({"a": 1, "b": 2}, {"a": 1}),
        ([1, 2], [2, 1]),
        ("abc", "abd"),
    ],
)
def test_another_value(got: object, expected: object) -> None:
    with pytest.raises(checks.CheckFailed):
        checks.same_value("v", got, expected)

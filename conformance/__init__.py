"""OASC MIM conformance and certification suite."""

__version__ = "0.1.0"
SUITE_NAME = "oasc-mimcheck"

"""Embedded reference platform: an independent NGSI-LD (MIM1) and TMF620 (MIM3) implementation.

It is written from the specifications only and never imports the conformance suite.
"""

__version__ = "0.1.0"

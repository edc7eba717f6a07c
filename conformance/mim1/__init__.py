"""MIM1 scenarios: ETSI NGSI-LD (ETSI GS CIM 009)."""

"""MIM1: the ETSI NGSI-LD API (ETSI GS CIM 009 V1.8.1) of the reference platform."""

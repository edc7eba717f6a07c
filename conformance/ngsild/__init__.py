"""NGSI-LD (MIM1) helpers for scenarios: the API client and payload builders."""

"""TM Forum Open API (MIM3) helpers for scenarios."""

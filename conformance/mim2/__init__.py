"""MIM2 scenarios: Smart Data Models exchanged over MIM1."""

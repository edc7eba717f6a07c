"""MIM3 scenarios: TM Forum Open APIs."""

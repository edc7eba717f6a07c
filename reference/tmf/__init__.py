"""MIM3: the TM Forum TMF620 Product Catalog Management API v4 of the reference platform."""

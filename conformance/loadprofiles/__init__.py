"""The built-in Locust load profiles of ``mimcheck load`` (``--profile NAME``), one locustfile each.

They are loaded by Locust from their file, never imported as modules of this package; the package
only makes them part of an installed suite."""

"""MIM3: the TM Forum Open APIs v4 of the reference platform (TMF620, 622, 629, 632, 637, 638, 639, 641)."""

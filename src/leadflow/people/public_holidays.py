"""Whose public holidays a person keeps: the countries and regions the `holidays` package knows, checked, and each
one's calendar (a mapping of date -> holiday name, filled year by year as it is read).

Pure: the `holidays` package and the standard library; it never touches the database or the web.
"""

from __future__ import annotations

from functools import cache

import holidays


@cache
def countries() -> dict[str, tuple[str, ...]]:
    """ISO country code -> its subdivision codes (regions), for every country the package has a calendar of."""
    return {code: tuple(regions) for code, regions in sorted(holidays.list_supported_countries().items())
            if len(code) == 2}


def problems(country: str | None, region: str | None) -> list[tuple[str, str]]:
    """(field, reason) for a country or region the package does not know; a region needs a country."""
    if not country:
        return [("holiday_region", "choose the country first")] if region else []
    code = country.strip().upper()
    known = countries()
    if code not in known:
        return [("holiday_country", f"'{country[:10]}' is not a country with a public holiday calendar (ISO codes "
                                    "such as FI, DE, US)")]
    if region and region.strip().upper() not in {r.upper() for r in known[code]}:
        shown = ", ".join(known[code][:20]) + (", ..." if len(known[code]) > 20 else "")
        return [("holiday_region", f"'{region[:10]}' is not a region of {code}" +
                 (f"; known: {shown}" if shown else "; that country has no regions"))]
    return []


@cache
def calendar(country: str | None, region: str | None = None):
    """The country's (and region's) public holidays as a date -> name mapping (names in English where the package
    has them), or None (no country, or unknown)."""
    if not country or problems(country, region):
        return None
    code = country.strip().upper()
    subdiv = next((r for r in countries()[code] if region and r.upper() == region.strip().upper()), None)
    return holidays.country_holidays(code, subdiv=subdiv, language="en_US")

"""Campaign rules: code keys and the channel a touch implies. Pure: no database."""

from __future__ import annotations

import unicodedata

CHANNELS = (
    "web", "email", "telemarketing", "trade_fair", "direct_mail", "print", "radio_tv",
    "social", "paid_search", "partner", "other",
)

# utm_medium values as marketers write them, to the channel they mean.
MEDIUM_CHANNEL = {
    "cpc": "paid_search", "ppc": "paid_search", "paid": "paid_search", "paidsearch": "paid_search",
    "paid_search": "paid_search", "sem": "paid_search", "search": "paid_search", "email": "email",
    "e-mail": "email", "newsletter": "email", "social": "social", "paid_social": "social",
    "paidsocial": "social", "social-paid": "social", "cpm": "social", "display": "web", "banner": "web",
    "organic": "web", "referral": "web", "affiliate": "partner", "partner": "partner", "print": "print",
    "direct_mail": "direct_mail", "mail": "direct_mail", "radio": "radio_tv", "tv": "radio_tv",
    "event": "trade_fair", "trade_fair": "trade_fair", "tradeshow": "trade_fair", "phone": "telemarketing",
    "telemarketing": "telemarketing",
}
SOURCE_CHANNEL = {
    "facebook": "social", "instagram": "social", "linkedin": "social", "twitter": "social", "x": "social",
    "tiktok": "social", "meta": "social", "google": "paid_search", "bing": "paid_search",
}
CAPTURE_CHANNEL = {
    "meta": "social", "linkedin": "social", "google_ads": "paid_search", "import": "other",
    "trade_fair": "trade_fair", "telemarketing": "telemarketing", "form": "web", "hubspot": "web",
    "salesforce": "web", "mautic": "web", "api": "other",
}


def code_key(code: str) -> str:
    return unicodedata.normalize("NFKC", code).strip().casefold()


def channel_for(*, capture_channel: str | None, utm_medium: str | None, utm_source: str | None) -> str:
    """The channel a new campaign found through a capture belongs to."""
    if utm_medium and utm_medium.strip().lower() in MEDIUM_CHANNEL:
        return MEDIUM_CHANNEL[utm_medium.strip().lower()]
    if utm_source and utm_source.strip().lower() in SOURCE_CHANNEL:
        return SOURCE_CHANNEL[utm_source.strip().lower()]
    if capture_channel in CHANNELS:
        return capture_channel
    return CAPTURE_CHANNEL.get(capture_channel or "", "other")

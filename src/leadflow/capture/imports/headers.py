"""Which lead field a file's column holds: a synonym table of CRM export and local-language headers, and overrides.

Pure: no database, no HTTP, no files; it returns the mapping with, per column, how it was decided.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from leadflow.capture.domain import ATTRIBUTION_FIELDS, LEAD_FIELDS
from leadflow.errors import FieldError, Invalid

FULL_NAME = "full_name"
CAMPAIGN = "campaign"
DO_NOT_CONTACT = "do_not_contact"
CONSENT = "consent"
IGNORE = "ignore"
CUSTOM = "custom:"
TARGETS = (*LEAD_FIELDS, FULL_NAME, *ATTRIBUTION_FIELDS, CAMPAIGN, DO_NOT_CONTACT, CONSENT, IGNORE)

# Headers as exports and people write them (English, Dutch, Norwegian, Finnish, German, Swedish, Danish), with the
# exact headers of HubSpot, Salesforce (report and Data Loader) and Pipedrive lead exports.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "first_name": (
        "First Name", "FirstName", "First", "Given Name", "Forename", "Christian Name", "Lead First Name",
        "Contact First Name", "Person - First name", "Voornaam", "Roepnaam", "Fornavn", "Förnamn", "Etunimi",
        "Etunimet", "Vorname", "Prénom",
    ),
    "last_name": (
        "Last Name", "LastName", "Last", "Surname", "Family Name", "Lead Last Name", "Contact Last Name",
        "Person - Last name", "Achternaam", "Familienaam", "Etternavn", "Efternavn", "Efternamn", "Sukunimi",
        "Nachname", "Familienname", "Nom", "Nom de famille",
    ),
    FULL_NAME: (
        "Name", "Full Name", "FullName", "Contact Name", "Contact", "Lead Name", "Person Name", "Person - Name",
        "Naam", "Volledige naam", "Contactpersoon", "Navn", "Fullt navn", "Kontaktperson", "Namn",
        "Fullständigt namn", "Nimi", "Koko nimi", "Yhteyshenkilö", "Vollständiger Name",
        "Ansprechpartner",
    ),
    "email": (
        "Email", "E-mail", "Email Address", "E-mail Address", "Emailaddress", "Mail", "Work Email",
        "Business Email", "Email 1", "Primary Email", "Person - Email", "Person - Email - Work",
        "Person - Email - Home", "Person - Email - Other", "E-mailadres", "Emailadres", "E-post", "Epost",
        "E-postadresse", "E-postadress", "Sähköposti", "Sähköpostiosoite", "Sahkoposti", "E-Mail-Adresse",
        "Mailadresse",
    ),
    "phone": (
        "Phone", "Phone Number", "Telephone", "Telephone Number", "Tel", "Tel.", "Business Phone", "Work Phone",
        "Office Phone", "Direct Phone", "Phone 1", "Primary Phone", "Person - Phone", "Person - Phone - Work",
        "Person - Phone - Home", "Person - Phone - Other", "Telefoon", "Telefoonnummer", "Telefoon werk",
        "Telefon", "Telefonnummer", "Puhelin", "Puhelinnumero", "Työpuhelin",
    ),
    "mobile": (
        "Mobile", "Mobile Phone", "Mobile Phone Number", "MobilePhone", "Mobile Number", "Cell", "Cell Phone",
        "Cellphone", "Person - Phone - Mobile", "Mobiel", "Mobiele telefoon", "Mobiel nummer", "Mobielnummer",
        "GSM", "Mobil", "Mobiltelefon", "Mobilnummer", "Mobiltlf", "Matkapuhelin", "Matkapuhelinnumero",
        "Kännykkä", "Handy", "Handynummer",
    ),
    "job_title": (
        "Job Title", "JobTitle", "Title", "Position", "Job", "Role", "Job Role", "Function", "Person - Job title",
        "Functie", "Functietitel", "Stilling", "Stillingstittel", "Tittel", "Befattning", "Titel", "Titteli",
        "Tehtävänimike", "Asema", "Nimike", "Berufsbezeichnung", "Jobtitel",
    ),
    "company": (
        "Company", "Company Name", "Company / Account", "Account", "Account Name", "Organization",
        "Organisation", "Organization Name", "Organisation Name", "Associated Company", "Employer",
        "Person - Organization", "Bedrijf", "Bedrijfsnaam", "Organisatie", "Firma", "Firmanaam", "Selskap",
        "Bedrift", "Virksomhed", "Företag", "Företagsnamn", "Yritys", "Yrityksen nimi", "Organisaatio",
        "Unternehmen", "Firmenname",
    ),
    "street": (
        "Street", "Street Address", "Address", "Address 1", "Address Line 1", "Mailing Street", "Straat",
        "Adres", "Straatnaam", "Gate", "Gateadresse", "Adresse", "Gatuadress", "Adress", "Katuosoite",
        "Lähiosoite", "Osoite", "Straße", "Strasse",
    ),
    "postal_code": (
        "Postal Code", "PostalCode", "Postcode", "Post Code", "Zip", "Zip Code", "Zipcode", "Zip/Postal Code",
        "Mailing Zip/Postal Code", "Postnummer", "Postnr", "Postinumero", "Postleitzahl", "PLZ",
    ),
    "city": (
        "City", "Town", "Mailing City", "Plaats", "Woonplaats", "Vestigingsplaats", "Stad", "By", "Sted",
        "Poststed", "Ort", "Postort", "Kaupunki", "Paikkakunta", "Postitoimipaikka", "Kotikunta", "Stadt",
    ),
    "region": (
        "Region", "State", "State/Region", "State/Province", "Province", "County", "Mailing State/Province",
        "Provincie", "Fylke", "Län", "Region/Landskap", "Maakunta", "Bundesland",
    ),
    "country": (
        "Country", "Country/Region", "Country Code", "Mailing Country", "Land", "Landcode", "Maa", "Staat",
    ),
    "language": (
        "Language", "Preferred Language", "Taal", "Voorkeurstaal", "Språk", "Sprog", "Kieli", "Sprache",
    ),
    "utm_source": ("utm_source", "UTM Source", "Source (UTM)"),
    "utm_medium": ("utm_medium", "UTM Medium", "Medium (UTM)"),
    "utm_campaign": ("utm_campaign", "UTM Campaign", "Campaign (UTM)", "UTM Campaign Name"),
    "utm_term": ("utm_term", "UTM Term", "Term (UTM)", "Keyword"),
    "utm_content": ("utm_content", "UTM Content", "Content (UTM)"),
    "gclid": ("gclid", "Google Click ID", "GCLID (Google Click ID)"),
    "fbclid": ("fbclid", "Facebook Click ID"),
    "msclkid": ("msclkid", "Microsoft Click ID", "Bing Click ID"),
    "referrer": ("referrer", "Referer", "Referring URL", "Referrer URL", "Verwijzer"),
    "landing_page": ("landing_page", "Landing Page", "Landing Page URL", "First Page Seen", "Bestemmingspagina"),
    CAMPAIGN: (
        "Campaign", "Campaign Code", "Campaign ID", "Campaign_ID", "Campaign Name", "Campagne", "Campagnecode",
        "Kampanje", "Kampagne", "Kampanj", "Kampanja",
    ),
    DO_NOT_CONTACT: (
        "Do Not Contact", "DoNotContact", "Do not call", "DoNotCall", "Email Opt Out", "HasOptedOutOfEmail",
        "Opted Out", "Opt Out", "Opt-out", "Unsubscribed", "Unsubscribed from all email",
        "Unsubscribed from all emails", "Niet benaderen", "Afgemeld", "Ikke kontakt", "Reservert",
        "Ei yhteydenottoja", "Kielto",
    ),
    CONSENT: (
        "Consent", "Marketing Consent", "Marketing Opt In", "Opt In", "Opt-in", "Email Opt In", "GDPR Consent",
        "Person - Marketing status", "Marketing status", "Toestemming", "Samtykke", "Samtycke", "Suostumus",
        "Markkinointilupa", "Einwilligung",
    ),
}

_PREFIXES = ("person", "lead", "contact", "contactperson", "kontakt")


def header_key(header: str) -> str:
    """'E-mail adres', 'e_mail_adres' and 'EMAIL ADRES' give one key: accents, case, spacing and punctuation gone."""
    decomposed = unicodedata.normalize("NFKD", header)
    text = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return re.sub(r"[^0-9a-zø]+", "", text.replace("æ", "ae").replace("ß", "ss"))


def _table() -> dict[str, str]:
    table = {}
    for target, names in SYNONYMS.items():
        for name in names:
            table.setdefault(header_key(name), target)
    return table


KNOWN = _table()


# What people write around the word that names a contact column ("Email address of the contact", "Work phone nr",
# "Phone (work)"): words that say whose or which, never what. Any other word leaves a header unguessed.
_AROUND = frozenset({
    "of", "the", "for", "van", "de", "het", "contact", "contacts", "contactpersoon", "kontaktperson", "kontakt",
    "work", "business", "primary", "main", "private", "personal", "home", "person", "lead", "customer", "klant",
    "kunde", "asiakas", "your", "direct", "werk", "zakelijk", "prive", "arbeid", "jobb", "tyo", "geschaftlich",
    "privat",
})
_AROUND_TARGET = {
    "email": frozenset({"address", "adres", "adresse", "adress", "osoite"}),
    "phone": frozenset({"number", "nr", "no", "num", "office", "nummer", "numero"}),
    "mobile": frozenset({"number", "nr", "no", "num", "nummer", "numero"}),
    "company": frozenset(),
}


def guess(header: str) -> str | None:
    """The lead field a header names, or None; 'Person - Email - Work' and 'Lead Email' are read past their prefix,
    'Phone (work)' past its qualifier, and 'Email address of the contact' by its one naming word."""
    found = _guess(header)
    if found is not None:
        return found
    words = [header_key(w) for w in re.split(r"[^\w]+", header.casefold()) if header_key(w)]
    for index, word in enumerate(words):
        target = KNOWN.get(word)
        if target not in _AROUND_TARGET:
            continue
        rest = words[:index] + words[index + 1:]
        if all(w in _AROUND or w in _AROUND_TARGET[target] for w in rest):
            return target
    return None


def _guess(header: str) -> str | None:
    key = header_key(header)
    if key in KNOWN:
        return KNOWN[key]
    parts = [p for p in re.split(r"\s+-\s+|:\s*", header) if p.strip()]
    if len(parts) > 1 and header_key(parts[0]) in _PREFIXES:
        rest = header_key(" ".join(parts[1:]))
        if rest in KNOWN:
            return KNOWN[rest]
    for prefix in _PREFIXES:
        if key.startswith(prefix) and key[len(prefix):] in KNOWN and KNOWN[key[len(prefix):]] != FULL_NAME:
            return KNOWN[key[len(prefix):]]
    return None


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    target: str  # a lead field, full_name, an attribution field, campaign, consent, do_not_contact, ignore, custom:X
    source: str  # "synonym", "mapping" (an override) or "unknown" (kept as a custom field)


@dataclass(frozen=True)
class Mapping:
    columns: tuple[Column, ...]
    id_column: int | None = None

    def as_dict(self) -> dict[str, str]:
        return {c.header: c.target for c in self.columns}


def unique_headers(raw: list[object]) -> list[str]:
    """Blank headers become 'Column 3'; a repeated header gets ' (2)' so every column keeps its own name."""
    seen: dict[str, int] = {}
    result = []
    for index, value in enumerate(raw, start=1):
        header = " ".join(str(value).split()) if value is not None else ""
        header = header or f"Column {index}"
        if header in seen:
            seen[header] += 1
            header = f"{header} ({seen[header]})"
        else:
            seen[header] = 1
        result.append(header[:300])
    return result


def check_overrides(overrides: object) -> dict[str, str]:
    """A mapping file or field: {"Column header": "lead_field" | "custom:<name>" | "ignore"}; raises Invalid."""
    if not isinstance(overrides, dict):
        raise Invalid.one("mapping", 'must be a JSON object: {"Column header": "lead_field" | "custom:<name>" | '
                                     '"ignore"}')
    errors, result = [], {}
    for header, target in overrides.items():
        if not isinstance(target, str):
            errors.append(FieldError(f"mapping.{header}", "must be a text naming a lead field"))
            continue
        target = target.strip()
        if target.startswith(CUSTOM):
            if not target[len(CUSTOM):].strip():
                errors.append(FieldError(f"mapping.{header}", "custom: needs a name, e.g. custom:Stand"))
                continue
        elif target not in TARGETS:
            errors.append(FieldError(f"mapping.{header}", f"unknown target {target!r}; use one of "
                                                          f"{', '.join(TARGETS)} or custom:<name>"))
            continue
        result[str(header)] = target
    if errors:
        raise Invalid(errors)
    return result


def propose(headers: list[str], overrides: dict[str, str] | None = None, id_column: str | None = None) -> Mapping:
    """Map every column: an override first, then the synonym table; an unknown column becomes a custom field.

    Raises Invalid when an override or the id column names a column the file does not have.
    """
    overrides = check_overrides(overrides or {})
    by_key: dict[str, int] = {}
    for index, header in enumerate(headers):
        by_key.setdefault(header_key(header), index)
    chosen: dict[int, str] = {}
    errors = []
    for header, target in overrides.items():
        index = headers.index(header) if header in headers else by_key.get(header_key(header))
        if index is None:
            errors.append(FieldError(f"mapping.{header}", "no such column in the file"))
            continue
        chosen[index] = target
    id_index = None
    if id_column is not None:
        id_index = headers.index(id_column) if id_column in headers else by_key.get(header_key(id_column))
        if id_index is None:
            errors.append(FieldError("id_column", f"no column {id_column!r} in the file"))
    if errors:
        raise Invalid(errors)
    columns = []
    for index, header in enumerate(headers):
        if index in chosen:
            columns.append(Column(index, header, chosen[index], "mapping"))
            continue
        target = guess(header)
        if target is None:
            columns.append(Column(index, header, CUSTOM + header, "unknown"))
        else:
            columns.append(Column(index, header, target, "synonym"))
    return Mapping(columns=tuple(columns), id_column=id_index)

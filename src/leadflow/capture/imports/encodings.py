"""The character set of an imported CSV file, read from a sample of its first bytes.

A byte-order mark or valid UTF-8 decides at once. Otherwise charset-normalizer measures each candidate (Western
and Central European code pages, UTF-16 without a mark); where two decode the sample equally cleanly (Danish
"Bjørn" in Windows-1252 reads as "Bjřrn" in Windows-1250, Hungarian "Kővári" in 1250 as "Kõvári" in 1252), the one
whose accented letters all belong to one language's alphabet wins, else Windows-1252.

Pure: no database, no HTTP; it reads the bytes it is given.
"""

from __future__ import annotations

import codecs

import charset_normalizer

CANDIDATES = ("cp1252", "cp1250", "iso8859_2", "utf_16_le", "utf_16_be")
DEFAULT = "cp1252"  # Western European Windows: Latin-1 files read the same
# The accented letters of the languages of the markets leadflow serves and their neighbours (lower case).
ALPHABETS = {
    "da": "æøåé", "no": "æøåéèêóòô", "sv": "åäöé", "fi": "äöåšž", "is": "áéíóúýþæöð", "et": "äõöüšž",
    "de": "äöüß", "nl": "áéíóúàèëïöüç", "fr": "àâæçéèêëîïôœùûüÿ", "es": "áéíóúñü", "pt": "áâãàçéêíóôõú",
    "it": "àèéìíîòóùú", "pl": "ąćęłńóśźż", "cs": "áčďéěíňóřšťúůýž", "sk": "áäčďéíĺľňóôŕšťúýž",
    "hu": "áéíóöőúüű", "sl": "čšž", "hr": "čćđšž", "ro": "ăâîșțşţ",
}
_LETTERS = tuple(frozenset(letters) for letters in ALPHABETS.values())
# Signs that are at home beside letters; any other symbol stuck to a letter ("Wi¶niewski") means a wrong guess.
_NEUTRAL = frozenset("\u00a0®©™°€–—‘’‚“”„«»‹›•…·§×")


def detect(sample: bytes) -> str:
    """The codec to read the whole file with (a name Python's codecs know)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" not in sample:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    matches = charset_normalizer.from_bytes(sample, cp_isolation=list(CANDIDATES))
    if not matches:
        return DEFAULT
    cleanest = min(match.chaos for match in matches)
    tied = [match for match in matches if match.chaos <= cleanest]
    if tied[0].encoding.startswith("utf_16"):
        return tied[0].encoding
    names: list[str] = []
    for match in tied:
        for name in (match.encoding, *match.could_be_from_charset):
            if name in CANDIDATES and not name.startswith("utf_16") and name not in names:
                names.append(name)
    if not names:
        return DEFAULT
    names.sort(key=lambda name: name != DEFAULT)
    return max(names, key=lambda name: alphabet_fit(sample.decode(name, errors="replace")))


def alphabet_fit(text: str) -> float:
    """The share of the text's accented letters (and symbols stuck to letters) that one language's alphabet holds."""
    text = text.casefold()
    letters: list[str] = []
    odd = 0
    for index, char in enumerate(text):
        if char < "\x80" or char in _NEUTRAL:
            continue
        if char.isalpha():
            letters.append(char)
        elif text[index - 1:index].isalpha() or text[index + 1:index + 2].isalpha():
            odd += 1
    if not letters and not odd:
        return 1.0
    return max(sum(letter in alphabet for letter in letters) for alphabet in _LETTERS) / (len(letters) + odd)

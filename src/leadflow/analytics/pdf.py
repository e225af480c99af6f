"""A digest's content (digest_render.content: titles, paragraphs, tables) as a PDF, with fpdf2 (pinned; pure
Python). The core Helvetica font covers Latin-1: other characters are written as their nearest Latin-1 form."""

from __future__ import annotations

import unicodedata

from fpdf import FPDF

_NEAREST = {"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "€": "EUR", "→": "->",
            "\u00a0": " ", "\u202f": " "}


def latin1(text: str) -> str:
    out = []
    for char in str(text):
        char = _NEAREST.get(char, char)
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
            out.append(plain or "?")
    return "".join(out)


def render(blocks: list[tuple], *, title: str = "Weekly digest") -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(latin1(title))
    pdf.set_creator("leadflow")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for block in blocks:
        kind = block[0]
        if kind == "title":
            pdf.set_font("Helvetica", "B", 16)
            pdf.multi_cell(width, 9, latin1(block[1]), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif kind == "heading":
            pdf.ln(3)
            pdf.set_font("Helvetica", "B", 12)
            pdf.multi_cell(width, 7, latin1(block[1]), new_x="LMARGIN", new_y="NEXT")
        elif kind == "para":
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(width, 5, latin1(block[1]), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "table":
            pdf.set_font("Helvetica", "", 9)
            header, rows = block[1], block[2]
            with pdf.table(text_align="LEFT", line_height=5, first_row_as_headings=True) as table:
                for row in [header, *rows]:
                    cells = table.row()
                    for value in row:
                        cells.cell(latin1(str(value)))
            pdf.ln(1)
    return bytes(pdf.output())

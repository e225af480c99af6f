from leadflow.leads.domain import spreadsheet_safe


def test_text_a_spreadsheet_would_run_as_a_formula_gets_an_apostrophe():
    assert spreadsheet_safe('=HYPERLINK("http://evil.example","click")') == '\'=HYPERLINK("http://evil.example","click")'
    assert spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_safe("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0"
    assert spreadsheet_safe("\t=1") == "'\t=1"


def test_phone_numbers_numbers_and_plain_text_stay_as_they_are():
    for value in ("+31 6 1234 5678", "-12.5", "+1 (555) 010-0000", "Anna", "", 42, None):
        assert spreadsheet_safe(value) == value

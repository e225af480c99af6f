"""Reading ad platforms' spend reports: the three platforms' own exports, the generic CSV, locale numbers and dates,
totals and zero rows, and the reason for each row that cannot be read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from leadflow.campaigns import spend

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def _read(shared_data, name: str) -> spend.SpendReport:
    return spend.parse((shared_data / "clients" / "ad_spend" / name).read_text(encoding="utf-8"))


def _amounts(report: spend.SpendReport) -> list[tuple[str | None, str, Decimal, str]]:
    return [(r.external_id, r.campaign, r.amount, r.currency) for r in report.rows]


def test_google_ads_campaign_report_reads_the_period_line_and_skips_the_totals(shared_data):
    report = _read(shared_data, "google_ads_campaign_report.csv")
    assert report.platform == "google"
    assert (report.starts_on, report.ends_on) == NOVEMBER
    assert _amounts(report) == [
        ("20581934512", "NL - Search - Domotica", Decimal("1487.36"), "EUR"),
        ("20581934620", "FI - Search - Lämpöpumput", Decimal("902.15"), "EUR"),
        ("20581934777", "NO - Display - Ladere", Decimal("318.40"), "EUR"),
        ("20581935001", "Brand - All countries", Decimal("266.02"), "EUR"),
    ]
    assert all((r.starts_on, r.ends_on) == NOVEMBER for r in report.rows)
    assert [(s.row, s.reason) for s in report.skipped] == [(8, "a totals row"), (9, "a totals row"),
                                                          (10, "a totals row")]
    assert report.rejects == ()


def test_meta_ads_manager_export_takes_the_currency_from_the_amount_header(shared_data):
    report = _read(shared_data, "meta_ads_manager_export.csv")
    assert report.platform == "meta"
    assert (report.starts_on, report.ends_on) == NOVEMBER
    assert _amounts(report) == [
        (None, "Lead ads - Heat pump guide (FI)", Decimal("723.12"), "EUR"),
        (None, "Lead ads - EV charger offer (NO)", Decimal("329.80"), "EUR"),
        (None, "Retargeting - Domotica (NL)", Decimal("141.66"), "EUR"),
    ]
    assert report.columns["amount"] == "Amount spent (EUR)"
    assert report.skipped == () and report.rejects == ()


def test_linkedin_export_reads_its_report_start_and_end_above_the_header(shared_data):
    report = _read(shared_data, "linkedin_campaign_manager_export.csv")
    assert report.platform == "linkedin"
    assert (report.starts_on, report.ends_on) == NOVEMBER
    assert _amounts(report) == [
        ("312558901", "Facility managers - Nordics - Lead Gen", Decimal("1204.55"), "EUR"),
        ("312558977", "Decision makers NL - Conversation ads", Decimal("611.20"), "EUR"),
    ]
    assert [r.row for r in report.rows] == [6, 7]


def test_semicolons_and_decimal_commas_with_a_byte_order_mark():
    text = ("\ufeffCampaign;Start;End;Spend;Currency\n"
            "Voorjaar;01.11.2026;30.11.2026;1.487,36;EUR\n"
            "Zomer;01.11.2026;30.11.2026;1 487,36;EUR\n"
            "Herfst;01.11.2026;30.11.2026;12,5;EUR\n")
    report = spend.parse(text)
    assert report.platform == "generic"
    assert [(r.campaign, r.amount) for r in report.rows] == [
        ("Voorjaar", Decimal("1487.36")), ("Zomer", Decimal("1487.36")), ("Herfst", Decimal("12.50"))]
    assert (report.starts_on, report.ends_on) == NOVEMBER


def test_tab_separated_generic_file_with_one_date_per_row_and_symbols_for_currency():
    text = "Date\tCampaign code\tCost\n2026-11-02\tSPRING\t€ 12\n11/3/2026\tSPRING\t$1,250.00\n"
    report = spend.parse(text)
    assert [(r.campaign, r.starts_on, r.ends_on, r.amount, r.currency) for r in report.rows] == [
        ("SPRING", date(2026, 11, 2), date(2026, 11, 2), Decimal("12.00"), "EUR"),
        ("SPRING", date(2026, 11, 3), date(2026, 11, 3), Decimal("1250.00"), "USD")]


def test_zero_rows_are_skipped_and_unreadable_amounts_or_dates_are_rejected_with_the_reason():
    text = ("Campaign,Date,Amount,Currency\n"
            "A,2026-11-01,0.00,EUR\n"
            "B,2026-11-01,lots,EUR\n"
            "C,2026-13-01,5,EUR\n"
            "D,yesterday,5,EUR\n"
            "E,2026-11-01,-5,EUR\n"
            "F,2026-11-01,5,euro\n"
            ",2026-11-01,5,EUR\n"
            "G,2026-11-01,5,EUR\n")
    report = spend.parse(text)
    assert [(r.campaign, r.amount) for r in report.rows] == [("G", Decimal("5.00"))]
    assert [(s.row, s.campaign, s.reason) for s in report.skipped] == [(2, "A", "no spend")]
    reasons = {r.row: r.reason for r in report.rejects}
    assert reasons[3] == "amount: 'lots' is not an amount"
    assert reasons[4].startswith("date: '2026-13-01' is not a date in the calendar")
    assert reasons[5].startswith("date: 'yesterday' is not a date")
    assert "negative" in reasons[6]
    assert reasons[7] == "currency: 'EURO' is no three-letter currency code"
    assert reasons[8] == "no campaign name"


def test_a_totals_row_is_skipped_but_a_campaign_called_total_is_not():
    text = ("Campaign,Date,Cost,Currency\nTotal Energy Q4,2026-11-01,10,EUR\nTotal,,10,EUR\n"
            "Grand total:,2026-11-01,10,EUR\n")
    report = spend.parse(text)
    assert [r.campaign for r in report.rows] == ["Total Energy Q4"]
    assert [s.reason for s in report.skipped] == ["a totals row", "a totals row"]


def test_the_same_campaign_and_period_twice_is_added_up():
    text = "Campaign,Campaign ID,Cost,Currency code,Network\nBrand,1,10.50,EUR,Search\nBrand,1,4.50,EUR,Display\n"
    report = spend.parse("Campaign report\nNovember 1, 2026 - November 30, 2026\n" + text)
    assert report.platform == "google"
    assert [(r.amount, r.rows) for r in report.rows] == [(Decimal("15.00"), (4, 5))]


def test_amounts_as_platforms_write_them():
    assert spend.parse_amount("1,487.36") == (Decimal("1487.36"), None)
    assert spend.parse_amount("1.487,36") == (Decimal("1487.36"), None)
    assert spend.parse_amount("1 487,36") == (Decimal("1487.36"), None)
    assert spend.parse_amount("1\u00a0487,36 €") == (Decimal("1487.36"), "EUR")
    assert spend.parse_amount("EUR 12") == (Decimal("12.00"), "EUR")
    assert spend.parse_amount("1,487") == (Decimal("1487.00"), None)
    assert spend.parse_amount("1,487", decimal_comma=True) == (Decimal("1.49"), None)
    assert spend.parse_amount("--") == (Decimal("0"), None)
    for wrong in ("1,48,7", "12.34.56,7,8", "abc", "1.2.3,45,6"):
        with pytest.raises(ValueError):
            spend.parse_amount(wrong)


def test_dates_as_the_exports_write_them():
    assert spend.parse_date("2026-11-30") == date(2026, 11, 30)
    assert spend.parse_date("11/30/2026") == date(2026, 11, 30)
    assert spend.parse_date("11/1/2026") == date(2026, 11, 1)
    assert spend.parse_date("30/11/2026") == date(2026, 11, 30)
    assert spend.parse_date("30.11.2026") == date(2026, 11, 30)
    assert spend.parse_date("November 30, 2026") == date(2026, 11, 30)
    assert spend.parse_date("30 Nov 2026") == date(2026, 11, 30)
    assert spend.parse_date("12/1/2026 08:14 UTC") == date(2026, 12, 1)


def test_a_file_without_a_spend_table_or_dates_names_what_is_missing():
    with pytest.raises(spend.UnknownFormat, match="empty"):
        spend.parse("\ufeff \n")
    with pytest.raises(spend.UnknownFormat, match="no header row"):
        spend.parse("first_name,email\nAnna,anna@example.com\n")
    with pytest.raises(spend.UnknownFormat, match="no date"):
        spend.parse("Campaign,Cost,Currency\nA,5,EUR\n")
    with pytest.raises(spend.UnknownFormat, match="platform must be one of"):
        spend.parse("Campaign,Cost\n", platform="tiktok")


def test_the_key_is_the_same_for_the_same_campaign_period_and_currency_whatever_the_case():
    text = "Campaign,Start,End,Cost,Currency\n{},2026-11-01,2026-11-30,5,EUR\n"
    first = spend.parse(text.format("Spring Sale")).rows[0].key("generic")
    again = spend.parse(text.format("SPRING SALE")).rows[0].key("generic")
    assert first == again and len(spend.parse(text.format("x" * 400)).rows[0].key("generic")) <= 300


def test_a_daily_report_gives_one_row_per_campaign_and_day():
    text = ("Campaign report\nNovember 1, 2026 - November 2, 2026\n"
            "Day,Campaign,Campaign ID,Currency code,Cost\n"
            "2026-11-01,Brand,7,EUR,1.00\n2026-11-02,Brand,7,EUR,2.00\n")
    report = spend.parse(text)
    assert [(r.starts_on, r.ends_on, r.amount) for r in report.rows] == [
        (date(2026, 11, 1), date(2026, 11, 1), Decimal("1.00")), (date(2026, 11, 2), date(2026, 11, 2),
                                                                  Decimal("2.00"))]
    assert (report.starts_on, report.ends_on) == (date(2026, 11, 1), date(2026, 11, 2))
    assert report.rows[0].key("google") != report.rows[1].key("google")

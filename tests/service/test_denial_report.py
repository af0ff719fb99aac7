"""Denial trends: the report equals a plain recomputation from the ledger and denials."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select
from svc_helpers import TODAY, make_claim

from billing_tui.db import models as m
from billing_tui.db.repositories import note_adjudication
from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.errors import ValidationError
from billing_tui.services.demo import build_demo
from billing_tui.services.denial_report import (
    DIMENSIONS,
    default_range,
    denial_trends,
    report_csv,
    report_json,
)
from billing_tui.services.posting import Adjustment, LinePosting, PatientShare, post_line

ADJUDICATING = {"insurance_payment", "adjustment"}


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _recompute(db, date_from: dt.date, date_to: dt.date) -> dict:
    """The report's definitions, applied row by row in plain Python."""
    with db.engine.connect() as conn:
        entries = conn.execute(
            select(
                m.LedgerEntry.claim_id,
                m.LedgerEntry.kind,
                m.LedgerEntry.group_code,
                m.LedgerEntry.posted_at,
            )
        ).all()
        denials = conn.execute(
            select(
                m.Denial.claim_id,
                m.Denial.denied_on,
                m.Denial.carc,
                m.Denial.category,
                m.Denial.amount_cents,
            )
        ).all()
        claims = {
            cid: (payer, charge)
            for cid, payer, charge in conn.execute(
                select(m.Claim.id, m.Claim.payer_id, m.Claim.total_charge_cents)
            )
        }
    first: dict[int, dt.date] = {}
    for cid, kind, group, posted_at in entries:
        if kind in ADJUDICATING or (kind == "transfer" and group is not None):
            d = _as_date(posted_at)
            first[cid] = min(first.get(cid, d), d)
    for cid, denied_on, *_ in denials:
        d = _as_date(denied_on)
        first[cid] = min(first.get(cid, d), d)
    out: dict = {dim: {} for dim in (*DIMENSIONS, "total")}

    def bump(dim, key, *, denied=None, cents=0, adjudicated=0, adj_cents=0):
        row = out[dim].setdefault(key, [set(), 0, 0, 0])
        if denied is not None:
            row[0].add(denied)
            row[1] += cents
        row[2] += adjudicated
        row[3] += adj_cents

    for cid, d in first.items():
        if date_from <= d <= date_to:
            payer, charge = claims[cid]
            bump("month", f"{d:%Y-%m}", adjudicated=1, adj_cents=charge)
            bump("payer", "" if payer is None else str(payer), adjudicated=1, adj_cents=charge)
            bump("total", "total", adjudicated=1, adj_cents=charge)
    for cid, denied_on, carc, category, cents in denials:
        d = _as_date(denied_on)
        if date_from <= d <= date_to:
            payer = claims[cid][0]
            bump("month", f"{d:%Y-%m}", denied=cid, cents=cents)
            bump("carc", carc, denied=cid, cents=cents)
            bump("category", category, denied=cid, cents=cents)
            bump("payer", "" if payer is None else str(payer), denied=cid, cents=cents)
            bump("total", "total", denied=cid, cents=cents)
    return out


def _assert_matches(report, expected) -> None:
    total = expected["total"]["total"]
    assert (report.total.denied_claims, report.total.denied_cents) == (len(total[0]), total[1])
    assert (report.total.adjudicated_claims, report.total.adjudicated_cents) == (
        total[2],
        total[3],
    )
    for dim in DIMENSIONS:
        got = {
            r.key: (r.denied_claims, r.denied_cents, r.adjudicated_claims, r.adjudicated_cents)
            for r in report.rows(dim)
            if r.denied_claims or r.adjudicated_claims
        }
        want = {}
        for key, (claims, cents, adj, adj_cents) in expected[dim].items():
            if dim in ("carc", "category"):
                adj, adj_cents = total[2], total[3]  # shares of all adjudicated claims
            want[key] = (len(claims), cents, adj, adj_cents)
        assert got == want, dim


def test_report_matches_ledger_and_denials_on_the_demo(db):
    build_demo(db, claims=500, seed=11, today=TODAY)
    for date_from, date_to in (
        default_range(TODAY),
        (dt.date(2026, 3, 15), dt.date(2026, 6, 10)),
        (dt.date(2025, 1, 1), TODAY),
    ):
        report = denial_trends(db, date_from, date_to)
        _assert_matches(report, _recompute(db, date_from, date_to))
    report = denial_trends(db, *default_range(TODAY))
    assert report.total.denied_claims > 0 and report.total.adjudicated_claims > 0
    # Every month of the range has a row, in order, and the months add up to the total.
    assert [r.key for r in report.by_month][0] == "2025-12"
    assert [r.key for r in report.by_month][-1] == "2026-11"
    assert sum(r.adjudicated_claims for r in report.by_month) == report.total.adjudicated_claims
    assert sum(r.denied_cents for r in report.by_month) == report.total.denied_cents
    # Categories come from the denial rows themselves.
    with db.engine.connect() as conn:
        cats = set(
            conn.scalars(
                select(m.Denial.category).where(m.Denial.denied_on >= default_range(TODAY)[0])
            )
        )
    assert {r.key for r in report.by_category} == cats


def _deny(db, claim_id: int, carc: str, category: str, cents: int, on: dt.date) -> None:
    """A denial as the posting services write it: the row, and the claim's first
    adjudication date kept in step."""
    with UnitOfWork(db) as uow:
        note_adjudication(uow.session.get(m.Claim, claim_id), on)
        uow.session.add(
            m.Denial(
                claim_id=claim_id,
                group_code="CO",
                carc=carc,
                amount_cents=cents,
                category=category,
                status="open",
                denied_on=on,
                created_at=dt.datetime(on.year, on.month, on.day, 12),
            )
        )
        uow.commit()


def test_which_claims_count_as_adjudicated_and_denied(db, admin, tmp_path):
    paid = make_claim(db, admin, tmp_path, charges=("200.00",))
    pr_only = make_claim(db, admin, tmp_path, charges=("150.00",))
    make_claim(db, admin, tmp_path, charges=("80.00",))  # charged, never adjudicated
    denied = make_claim(db, admin, tmp_path, charges=("300.00",))
    post_line(
        db,
        admin,
        paid,
        1,
        LinePosting(9600, (Adjustment("CO", "45", 8000),), (PatientShare("2", 2400),)),
    )
    post_line(db, admin, pr_only, 1, LinePosting(0, (), (PatientShare("1", 15000),)))
    with db.engine.connect() as conn:
        posted_on = _as_date(
            conn.scalar(
                select(m.LedgerEntry.posted_at).where(m.LedgerEntry.kind == "insurance_payment")
            )
        )
    later = posted_on + dt.timedelta(days=40)
    _deny(db, denied, "197", "authorization", 30000, posted_on)
    _deny(db, paid, "16", "documentation", 20000, later)  # denied after it was paid

    report = denial_trends(db, posted_on.replace(day=1), later)
    # paid, PR-only and denied were adjudicated in the posting month; untouched never was.
    assert report.total.adjudicated_claims == 3
    assert report.total.adjudicated_cents == 20000 + 15000 + 30000
    assert (report.total.denied_claims, report.total.denied_cents) == (2, 50000)
    first, *_, last = report.by_month
    assert (first.key, first.denied_claims, first.adjudicated_claims) == (
        f"{posted_on:%Y-%m}",
        1,
        3,
    )
    assert first.claim_rate == pytest.approx(1 / 3)
    assert first.dollar_rate == pytest.approx(30000 / 65000)
    # The later month has a denial but no first adjudication: no rate, not a division by 0.
    assert (last.key, last.denied_claims, last.adjudicated_claims) == (f"{later:%Y-%m}", 1, 0)
    assert last.claim_rate is None and last.dollar_rate is None
    assert [(r.key, r.denied_cents) for r in report.by_carc] == [("197", 30000), ("16", 20000)]
    assert {r.key for r in report.by_category} == {"authorization", "documentation"}
    (payer,) = report.by_payer
    assert payer.label == "UnitedHealthcare" and payer.adjudicated_claims == 3
    _assert_matches(report, _recompute(db, posted_on.replace(day=1), later))
    # A range before anything happened is empty, month rows included.
    empty = denial_trends(
        db, posted_on - dt.timedelta(days=400), posted_on - dt.timedelta(days=370)
    )
    assert empty.total.adjudicated_claims == empty.total.denied_claims == 0
    assert all(r.denied_claims == r.adjudicated_claims == 0 for r in empty.by_month)
    assert empty.by_carc == [] and empty.total.claim_rate is None


def test_report_formats_and_bad_input(db, admin, tmp_path):
    claim = make_claim(db, admin, tmp_path, charges=("300.00",))
    _deny(db, claim, "197", "authorization", 30000, TODAY)
    report = denial_trends(db, dt.date(2026, 11, 1), TODAY)
    data = report_json(report)
    assert set(data) == {"from", "to", "total", "by_month", "by_carc", "by_category", "by_payer"}
    assert data["total"] == {
        "key": "total",
        "label": "All",
        "denied_claims": 1,
        "adjudicated_claims": 1,
        "claim_rate_pct": 100.0,
        "denied_cents": 30000,
        "adjudicated_cents": 30000,
        "dollar_rate_pct": 100.0,
    }
    csv_text = report_csv(report)
    assert csv_text.splitlines()[1] == "total,total,All,1,1,100.0,300.00,300.00,100.0"
    carc = next(r for r in csv.reader(io.StringIO(csv_text)) if r[0] == "carc")
    assert carc[1] == "197" and carc[2].startswith("197 ")  # the code, then its words
    assert carc[3:] == ["1", "1", "100.0", "300.00", "300.00", "100.0"]
    with pytest.raises(ValidationError, match="after it ends"):
        denial_trends(db, TODAY, dt.date(2026, 1, 1))
    with pytest.raises(ValidationError, match="dimension"):
        report.rows("zip")

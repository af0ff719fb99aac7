"""Fuzzy look-up (issue 3) on SQLite and PostgreSQL: the same queries, the same answers.

Patients enter through the real charge import, which keeps the name index in step.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from svc_helpers import TODAY, charge_row, write_csv

from billing_tui.db import models as m
from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.errors import NotFoundError, ValidationError
from billing_tui.services.charges import import_charges
from billing_tui.services.lookup import find, index_patients, payer_card

PEOPLE = [
    # claim, account, last, first, dob, payer id, payer name, member id
    ("LK-1001", "A0000001", "Rivera", "Ana", "1962-03-14", "87726", "UnitedHealthcare", "UHC123456789"),
    ("LK-1002", "A0000002", "Rivers", "Anna", "1971-05-02", "87726", "UnitedHealthcare", "UHC555000111"),
    ("LK-1003", "A0000003", "O'Brien", "Seán", "1955-12-01", "60054", "Aetna", "W987654321"),
    ("LK-1004", "A0000004", "Nguyen", "Thi", "2001-07-04", "60054", "Aetna", "W111222333"),
    ("LK-1005", "B0000005", "Smith", "John", "1980-01-01", "00431", "Blue Cross Blue Shield of Texas", "XOF4455667"),
    ("LK-1006", "B0000006", "Smith", "Joan", "1980-01-01", "00431", "Blue Cross Blue Shield of Texas", "XOF9988776"),
    ("LK-1007", "B0000007", "Garcia-Lopez", "Maria", "1990-10-10", "87726", "UnitedHealthcare", "UHC777888999"),
]  # fmt: skip


@pytest.fixture
def practice(db, users, tmp_path):
    rows = [
        charge_row(
            claim,
            patient_account=acct,
            patient_last=last,
            patient_first=first,
            patient_dob=dob,
            payer_id=payer,
            payer_name=payer_name,
            member_id=member,
        )
        for claim, acct, last, first, dob, payer, payer_name, member in PEOPLE
    ]
    import_charges(db, users["admin"], write_csv(tmp_path / "people.csv", rows), TODAY)
    with UnitOfWork(db, write=False) as uow:
        ids = {p.account_no: p.id for p in uow.session.scalars(select(m.Patient))}
    return ids


def _find(db, users, query, **kw):
    return find(db, users["rep"], query, today=TODAY, **kw)


def _top(db, users, query, **kw):
    found = _find(db, users, query, **kw)
    assert found, f"nothing found for {query!r}"
    return found[0]


@pytest.mark.parametrize(
    "query",
    [
        "Ana Rivera",
        "Aan Rivera",
        "Ana Rievra",
        "Ana Rivra",
        "ana rivvera",
        "RIVERA, ANA",
        "Rivera Ana",
    ],
)
def test_patient_by_name_with_a_typo(db, users, practice, query):
    top = _top(db, users, query)
    assert (top.kind, top.id, top.account_no) == ("patient", practice["A0000001"], "A0000001")
    assert top.dob == dt.date(1962, 3, 14)
    assert top.label == "Rivera, Ana"


def test_near_names_rank_below_the_exact_one(db, users, practice):
    found = _find(db, users, "Ana Rivera", kind="patient")
    assert [mt.account_no for mt in found[:2]] == ["A0000001", "A0000002"]
    assert found[0].score == 100 > found[1].score


def test_accents_apostrophes_and_hyphens(db, users, practice):
    assert _top(db, users, "sean obrien").account_no == "A0000003"
    assert _top(db, users, "Seán O'Brien").account_no == "A0000003"
    assert _top(db, users, "maria garcia lopez").account_no == "B0000007"
    assert _top(db, users, "maria garcialopez").account_no == "B0000007"
    assert _top(db, users, "lopez maria").account_no == "B0000007"


def test_results_follow_the_typing(db, users, practice):
    assert _top(db, users, "ana riv").account_no == "A0000001"
    assert _top(db, users, "ana r").account_no == "A0000001"
    assert _top(db, users, "ngu").account_no == "A0000004"
    assert [mt.account_no for mt in _find(db, users, "smith jo", kind="patient")] == [
        "B0000006", "B0000005"
    ]  # fmt: skip


@pytest.mark.parametrize("query", ["03/14/1962", "3/14/1962", "1962-03-14", "3/14/62", "03141962"])
def test_patient_by_date_of_birth(db, users, practice, query):
    found = _find(db, users, query)
    assert [(mt.kind, mt.account_no, mt.matched_on) for mt in found] == [
        ("patient", "A0000001", "date of birth")
    ]


def test_name_and_date_of_birth_narrow_each_other(db, users, practice):
    assert [mt.account_no for mt in _find(db, users, "smith 1/1/80")] == ["B0000006", "B0000005"]
    found = _find(db, users, "jhon smith 01/01/1980")
    assert found[0].account_no == "B0000005" and found[0].matched_on == "name and date of birth"
    assert _find(db, users, "ana rivera 1/1/80") == []


def test_patient_by_account_number(db, users, practice):
    top = _top(db, users, "a0000004")
    assert (top.account_no, top.score, top.matched_on) == ("A0000004", 100, "account")
    # Equal scores (the same share of each number typed) go by name.
    assert [mt.account_no for mt in _find(db, users, "B00000", kind="patient")] == [
        "B0000007", "B0000006", "B0000005"
    ]  # fmt: skip


def test_patient_by_member_id_shows_only_its_last_4(db, users, practice):
    top = _top(db, users, "W987654321")
    assert (top.kind, top.account_no, top.matched_on) == ("patient", "A0000003", "member id")
    assert top.detail == "member ID ******4321"
    assert "987654321" not in json.dumps(top.as_json())


def test_payer_by_name_or_edi_id(db, users, practice):
    top = _top(db, users, "aetna")
    assert (top.kind, top.label, top.matched_on) == ("payer", "Aetna", "name")
    assert _top(db, users, "aetan").label == "Aetna"
    assert _top(db, users, "blue cross texas").label == "Blue Cross Blue Shield of Texas"
    top = _top(db, users, "87726")
    assert (top.kind, top.label, top.matched_on) == ("payer", "UnitedHealthcare", "payer id")


def test_payer_card(db, users, practice):
    payer_id = _top(db, users, "aetna").id
    card = payer_card(db, users["rep"], payer_id)
    assert (card.name, card.edi_payer_id, card.payer_type) == ("Aetna", "60054", "commercial")
    assert card.timely_filing_days == 365 and card.appeal_window_days == 180
    with pytest.raises(NotFoundError):
        payer_card(db, users["rep"], 999_999)


def test_claim_by_number(db, users, practice):
    top = _top(db, users, "lk-1003")
    assert (top.kind, top.score, top.matched_on) == ("claim", 100, "claim number")
    assert top.patient_id == practice["A0000003"] and top.account_no == "A0000003"
    assert top.label == "LK-1003 · O'Brien, Seán" and top.service_date == dt.date(2026, 10, 1)
    assert len(_find(db, users, "LK-10", kind="claim")) == len(PEOPLE)
    data = top.as_json()
    assert data["kind"] == "claim" and data["patient_id"] == practice["A0000003"]


def test_kind_and_limit(db, users, practice):
    assert {mt.kind for mt in _find(db, users, "87726", kind="patient")} <= {"patient"}
    assert _find(db, users, "aetna", kind="claim") == []
    assert len(_find(db, users, "LK-10", limit=3)) == 3
    with pytest.raises(ValidationError, match="--kind"):
        _find(db, users, "x", kind="provider")
    with pytest.raises(ValidationError, match="limit"):
        _find(db, users, "x", limit=0)
    assert _find(db, users, "   ") == []
    assert _find(db, users, "zzzzqqq") == []


def test_json_shape_for_patients(db, users, practice):
    data = _top(db, users, "Ana Rivera").as_json()
    assert data == {
        "kind": "patient",
        "id": practice["A0000001"],
        "label": "Rivera, Ana",
        "score": 100.0,
        "account_no": "A0000001",
        "dob": "1962-03-14",
        "matched_on": "name",
    }


def _lookup_events(db):
    with UnitOfWork(db, write=False) as uow:
        return uow.session.scalars(
            select(m.AuditEvent).where(m.AuditEvent.action == "lookup").order_by(m.AuditEvent.seq)
        ).all()


def test_each_audited_search_is_one_event_and_keystrokes_are_none(db, users, practice):
    _find(db, users, "ana rivera")  # the modal's searches: no event
    assert _lookup_events(db) == []
    found = _find(db, users, "smith", audit=True)
    events = _lookup_events(db)
    assert len(events) == 1
    ev = events[0]
    assert ev.user_id == users["rep"].user_id and ev.entity_type == "lookup"
    detail = json.loads(ev.detail)
    assert detail["query"] == "smith" and detail["results"] == len(found) == 2
    assert detail["patients"] == sorted([practice["B0000005"], practice["B0000006"]])
    assert ev.patient_id is None  # several patients listed
    _find(db, users, "a0000001", audit=True, kind="patient")
    assert _lookup_events(db)[-1].patient_id == practice["A0000001"]


def test_renamed_patient_is_found_by_the_new_name_only(db, users, practice):
    with UnitOfWork(db) as uow:
        p = uow.patients.by_account("A0000004")
        p.last_name, p.first_name = "Tran", "Thi-Mai"
        index_patients(uow, [p])
        uow.commit()
    assert _top(db, users, "thi mai tran").account_no == "A0000004"
    assert _top(db, users, "thimai tarn").account_no == "A0000004"
    assert [mt for mt in _find(db, users, "thi nguyen") if mt.account_no == "A0000004"] == []


def test_index_is_idempotent_and_shares_the_vocabulary(db, users, practice, tmp_path):
    def counts():
        with UnitOfWork(db, write=False) as uow:
            s = uow.session
            return (
                s.scalar(select(func.count()).select_from(m.LookupNamePair)),
                s.scalar(select(func.count()).select_from(m.LookupNameKey)),
            )

    before = counts()
    with UnitOfWork(db) as uow:
        index_patients(uow, uow.session.scalars(select(m.Patient)).all())
        uow.commit()
    assert counts() == before
    # A new patient with known words adds pairs but no new typo keys.
    row = charge_row(
        "LK-2001", patient_account="C0000001", patient_last="Smith", patient_first="Ana"
    )
    import_charges(db, users["admin"], write_csv(tmp_path / "more.csv", [row]), TODAY)
    assert counts() == (before[0] + 2, before[1])
    assert _top(db, users, "ana smiht").account_no == "C0000001"


def test_migration_indexes_the_patients_already_there(tmp_path):
    """0003 backfills the index for a database that had patients before the upgrade."""
    from sqlalchemy import text

    from alembic import command
    from billing_tui.db import migrate
    from billing_tui.db.engine import Database

    db = Database.connect(f"sqlite:///{tmp_path}/older.db")
    with db.engine.begin() as conn:
        command.upgrade(migrate._config(conn), "0002")
        conn.execute(
            text(
                "INSERT INTO patients (id, account_no, last_name, first_name, middle_name, dob, "
                "sex, created_at) VALUES (:id, :acct, :last, :first, :mid, :dob, 'F', "
                "'2025-01-01 00:00:00')"
            ),
            [
                {
                    "id": 1,
                    "acct": "OLD1",
                    "last": "Rivera",
                    "first": "Ana",
                    "mid": None,
                    "dob": "1962-03-14",
                },
                {
                    "id": 2,
                    "acct": "OLD2",
                    "last": "Núñez",
                    "first": "José",
                    "mid": "Luis",
                    "dob": "1970-01-02",
                },
            ],  # fmt: skip
        )
    migrate.upgrade(db.engine)
    assert find(db, None, "ana rivrea", today=TODAY)[0].account_no == "OLD1"
    assert find(db, None, "jose luis nunez", today=TODAY)[0].account_no == "OLD2"
    assert find(db, None, "luis nunes", today=TODAY)[0].account_no == "OLD2"
    db.dispose()


def test_find_command_text_json_and_bad_input(db, users, practice):
    from click.testing import CliRunner

    from billing_tui.cli import main

    def run(*args):
        return CliRunner().invoke(main, ["find", *args, "--db", db.url], catch_exceptions=False)

    res = run("Ana Rivera", "--json", "--limit", "2", "--user", "rep")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [d["account_no"] for d in data] == ["A0000001", "A0000002"]
    assert data[0] == {
        "kind": "patient",
        "id": practice["A0000001"],
        "label": "Rivera, Ana",
        "score": data[0]["score"],
        "account_no": "A0000001",
        "dob": "1962-03-14",
        "matched_on": "name",
    }
    assert data[0]["score"] > data[1]["score"]
    res = run("lk-1003", "--kind", "claim")
    assert res.exit_code == 0
    lines = res.output.splitlines()
    assert lines[0].split()[:3] == ["score", "kind", "name"]
    assert "LK-1003 · O'Brien, Seán" in lines[1] and "10/01/2026" in lines[1]
    assert run("zzzqqq").output.strip() == "no matches for 'zzzqqq'"
    assert len(_lookup_events(db)) == 3  # one per search, not per result
    res = CliRunner().invoke(main, ["find", "  ", "--db", db.url])
    assert res.exit_code == 1 and "type a name" in res.output
    res = CliRunner().invoke(main, ["find", "x", "--kind", "provider", "--db", db.url])
    assert res.exit_code == 2

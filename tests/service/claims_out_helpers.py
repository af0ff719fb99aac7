"""Builders for the claims-out service tests: a practice, providers, addresses."""

from __future__ import annotations

from sqlalchemy import select

from billing_tui.db import models as m
from billing_tui.db.uow import UnitOfWork

PRACTICE_NPI = "1234567893"
PROVIDER_NPI = "1245319599"


def setup_practice(db) -> int:
    """The billing provider and one rendering provider (valid NPIs); returns the provider id."""
    with UnitOfWork(db) as uow:
        practice = m.Practice(
            name="Riverside Family Medicine",
            billing_npi=PRACTICE_NPI,
            ein="741234567",
            taxonomy="207Q00000X",
            address1="1200 Riverside Pkwy",
            city="Springfield",
            state="IL",
            zip="627011234",
            phone="217-555-0100",
        )
        uow.session.add(practice)
        uow.flush()
        provider = m.Provider(
            practice_id=practice.id,
            last_name="Chen",
            first_name="Laura",
            credential="MD",
            npi=PROVIDER_NPI,
            taxonomy="207Q00000X",
        )
        uow.session.add(provider)
        uow.commit()
        return provider.id


def give_addresses(db) -> None:
    """The charge import records no address; the 837P needs one for the subscriber."""
    with UnitOfWork(db) as uow:
        for p in uow.session.scalars(select(m.Patient).where(m.Patient.address1.is_(None))):
            p.address1, p.city, p.state, p.zip = "12 Main St", "Springfield", "IL", "62701"
        uow.commit()


def set_claim(db, claim_id: int, **values) -> None:
    """Move a claim along outside this issue's services (as EOB posting would)."""
    with UnitOfWork(db) as uow:
        claim = uow.claims.get(claim_id)
        for k, v in values.items():
            setattr(claim, k, v)
        uow.commit()


def claim_row(db, claim_id: int) -> m.Claim:
    with UnitOfWork(db, write=False) as uow:
        return uow.claims.get(claim_id)

"""The bulk loader's ledger hash must equal the generic chain hash for every row."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from billing_tui.db.chains import LEDGER_FIELDS, ledger_hash, ledger_hash_values

opt_int = st.none() | st.integers(-(10**12), 10**12)
opt_str = st.none() | st.text(max_size=12)


@given(
    prev=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    claim_id=st.integers(1, 10**9),
    line_id=opt_int,
    seq=st.integers(1, 10**6),
    kind=st.text(min_size=1, max_size=20),
    resp=st.integers(0, 3),
    to=opt_int,
    amount=st.integers(-(10**12), 10**12),
    group=opt_str,
    carc=opt_str,
    rarc=opt_str,
    batch=opt_int,
    reverses=opt_int,
    when=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    user=st.integers(1, 10**6),
)
def test_fast_ledger_hash_equals_generic(
    prev,
    claim_id,
    line_id,
    seq,
    kind,
    resp,
    to,
    amount,
    group,
    carc,
    rarc,
    batch,
    reverses,
    when,
    user,
):
    row = dict(
        zip(
            LEDGER_FIELDS,
            (
                claim_id,
                line_id,
                seq,
                kind,
                resp,
                to,
                amount,
                group,
                carc,
                rarc,
                batch,
                reverses,
                when,
                user,
            ),
            strict=True,
        )
    )
    fast = ledger_hash_values(
        prev,
        claim_id,
        line_id,
        seq,
        kind,
        resp,
        to,
        amount,
        group,
        carc,
        rarc,
        batch,
        reverses,
        when.isoformat(timespec="microseconds"),
        user,
    )
    assert fast == ledger_hash(prev, row)

"""Pure-Python billing rules: money, ledger math, hash chains, claim status, aging, deadlines.

Stdlib only (no SQLAlchemy, no Textual) so every rule is unit-testable in isolation.
"""

"""billing_tui: a keyboard-driven terminal workstation for medical billing representatives."""

__version__ = "0.1.0"

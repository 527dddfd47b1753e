"""le-triage: watches the law-enforcement mailbox, files tickets, acknowledges authorities."""

__version__ = "0.1.0"

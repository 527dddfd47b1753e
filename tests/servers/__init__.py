"""Real servers started by tests (SMTP, IMAP) as pytest plugins."""

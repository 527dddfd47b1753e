"""Automatic replies: when not to answer (rules, policy), what to send (outbox), how (sender), paging."""

"""Guidance for authorities: what a complete request contains, where to send it, and where not.

One set of data files per language (``data/<lang>.json``) feeds three outputs: the note on
missing elements in an acknowledgment, the pointer sent to clearly misdirected mail, and the
public ``/guidelines`` page. Site-specific values (organisation, addresses, phone) come from
``Settings``; nothing from an inbound mail is ever rendered into guidance text.
"""

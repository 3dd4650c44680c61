"""Forwarding vacancies an organisation cannot fill from its own people (videregivelse):
each organisation's rules (``policy``), deciding and making forwardings (``decisions``) and the
receiving side (``inbox``)."""

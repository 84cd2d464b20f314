"""Building what goes on the wire: the MIME message (mime), its VERP return path (verp)
and its DKIM signatures (dkim)."""

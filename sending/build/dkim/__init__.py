"""DKIM (RFC 6376, RFC 8463): signing with the domain's keys (sign), on relaxed
canonicalization held to dkimpy's bytes (canon)."""

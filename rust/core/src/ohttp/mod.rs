//! Oblivious HTTP (RFC 9458) sealing on ring (DESIGN.md P10).

//! On-device anonymization (DESIGN.md P5-P9).

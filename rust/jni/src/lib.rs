//! The JNI edge of Hush (filled in by the JNI issue).

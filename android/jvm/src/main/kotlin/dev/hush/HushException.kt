package dev.hush

/**
 * Hush could not do its disk work (the data directory, sealing a report), or
 * hit an internal error. Recording never throws it. Its message never holds a
 * URL, host, query or label.
 */
class HushException(message: String) : RuntimeException(message)

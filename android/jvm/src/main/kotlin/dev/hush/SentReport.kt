package dev.hush

/** What became of one day's sealed report (P13). */
data class SentReport(
    /** The report's UTC day, `YYYY-MM-DD`. */
    val day: String,
    val outcome: Outcome,
) {
    enum class Outcome {
        /** The collector stored it. */
        DELIVERED,

        /** The collector refused it for good; it was deleted. */
        REFUSED,

        /** Too many failed attempts; deleted unsent. */
        GAVE_UP,

        /** Deleted unsent to stay within the storage limit. */
        DROPPED_FOR_SPACE,
        ;

        internal companion object {
            fun fromJson(value: String): Outcome = when (value) {
                "delivered" -> DELIVERED
                "refused" -> REFUSED
                "gave_up" -> GAVE_UP
                "dropped_for_space" -> DROPPED_FOR_SPACE
                else -> throw HushException("unknown report outcome from the core")
            }
        }
    }

    /** One plain sentence for a settings screen. */
    fun describe(): String = when (outcome) {
        Outcome.DELIVERED -> "The usage report for $day (UTC) was sent."
        Outcome.REFUSED -> "The usage report for $day (UTC) was refused by the server and deleted."
        Outcome.GAVE_UP -> "The usage report for $day (UTC) could not be sent and was deleted."
        Outcome.DROPPED_FOR_SPACE -> "The usage report for $day (UTC) was deleted unsent to save space."
    }
}

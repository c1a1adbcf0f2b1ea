package dev.hush

/**
 * What became of a day's sealed reports (P13): one record per day and
 * outcome, counting the reports (one per metric) that ended so. Reports still
 * waiting or retrying are [Hush.pendingUploads]'.
 */
data class SentReport(
    /** The reports' UTC day, `YYYY-MM-DD` (empty if unknown). */
    val day: String,
    val outcome: Outcome,
    /** How many of the day's reports ended with [outcome]. */
    val reports: Int = 1,
    /** Upload attempts they took, in all. */
    val attempts: Int = 0,
    /** How the last attempt among them was answered; null if none was made. */
    val lastAnswer: Answer? = null,
) {
    enum class Outcome {
        /** The collector stored it. */
        DELIVERED,

        /** The collector's own answer refused it for good; it was deleted. */
        REFUSED,

        /** The collector no longer has the key it was sealed to; it was deleted. */
        KEY_UNKNOWN,

        /** Attempts failed until it was too old for the collector; deleted unsent. */
        GAVE_UP,

        /** Deleted unsent to stay within the storage limit. */
        DROPPED_FOR_SPACE,

        /** Its file was damaged on the device; deleted unsent. */
        DAMAGED,
        ;

        internal companion object {
            fun fromJson(value: String): Outcome = when (value) {
                "delivered" -> DELIVERED
                "refused" -> REFUSED
                "key_unknown" -> KEY_UNKNOWN
                "gave_up" -> GAVE_UP
                "dropped_for_space" -> DROPPED_FOR_SPACE
                "damaged" -> DAMAGED
                else -> throw HushException("unknown report outcome from the core")
            }
        }
    }

    /** How one upload attempt was answered. [status] is the HTTP status, when there was one. */
    data class Answer(val kind: Kind, val status: Int? = null) {
        enum class Kind {
            /** No answer: no connection, a timeout. */
            NETWORK,

            /** A relay or gateway answered with an error of its own ([status]). */
            OUTER,

            /** An answer that was not the collector's sealed answer to this report. */
            UNREADABLE,

            /** The gateway did not have the key the report was sealed to. */
            KEY_PROBLEM,

            /** The collector's own sealed answer ([status]). */
            SEALED,
        }

        /** Plain words. */
        fun describe(): String = when (kind) {
            Kind.NETWORK -> "no connection"
            Kind.OUTER -> "the relay or gateway answered $status"
            Kind.UNREADABLE -> "an answer that was not the collector's"
            Kind.KEY_PROBLEM -> "the collector no longer has the key it was sealed to"
            Kind.SEALED -> "the collector answered $status"
        }

        internal companion object {
            fun fromJson(json: Map<String, Any?>): Answer {
                val kind = when (json["kind"]) {
                    "network" -> Kind.NETWORK
                    "outer" -> Kind.OUTER
                    "unreadable" -> Kind.UNREADABLE
                    "key_problem" -> Kind.KEY_PROBLEM
                    "sealed" -> Kind.SEALED
                    else -> throw HushException("unknown upload answer from the core")
                }
                return Answer(kind, (json["status"] as Long?)?.toInt())
            }
        }
    }

    /** One plain sentence for a settings screen. */
    fun describe(): String {
        val last = lastAnswer?.let { " (last attempt: ${it.describe()})" } ?: ""
        val what = if (reports == 1) "1 usage report" else "$reports usage reports"
        val were = if (reports == 1) "was" else "were"
        return when (outcome) {
            Outcome.DELIVERED -> "$what for $day (UTC) $were sent."
            Outcome.REFUSED -> "$what for $day (UTC) $were refused by the server and deleted$last."
            Outcome.KEY_UNKNOWN ->
                "$what for $day (UTC) $were deleted: the server no longer has the key they were sealed to."
            Outcome.GAVE_UP -> "$what for $day (UTC) could not be sent and $were deleted$last."
            Outcome.DROPPED_FOR_SPACE -> "$what for $day (UTC) $were deleted unsent to save space."
            Outcome.DAMAGED -> "$what for $day (UTC) $were damaged on this device and deleted unsent."
        }.replaceFirstChar { it.uppercase() }
    }

    internal companion object {
        @Suppress("UNCHECKED_CAST")
        fun fromJson(json: Map<String, Any?>): SentReport = SentReport(
            day = json["day"] as String,
            outcome = Outcome.fromJson(json["outcome"] as String),
            reports = (json["reports"] as Long? ?: 1).toInt(),
            attempts = (json["attempts"] as Long? ?: 0).toInt(),
            lastAnswer = (json["last_answer"] as Map<String, Any?>?)?.let(Answer::fromJson),
        )
    }
}

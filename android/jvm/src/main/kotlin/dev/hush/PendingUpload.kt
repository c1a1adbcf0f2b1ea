package dev.hush

/**
 * One sealed report waiting to be sent (P13): its day, the metric it
 * measures, what it holds in plain words and where its delivery stands.
 * Read from Hush's own record of what it sealed, never by opening the
 * report: the device cannot, and a closed day's values exist nowhere in
 * clear. Each report is one metric's value for one day, secret-shared
 * between two servers, so neither can read it alone.
 */
data class PendingUpload(
    /** The report's UTC day, `YYYY-MM-DD` (empty if unknown). */
    val day: String,
    /** The metric's name, or one of Hush's own (`hush.errors`, `hush.dropped`, `hush.api_level`, `hush.language`). */
    val metric: String,
    /** What the report holds, in plain words. */
    val holds: String,
    val state: State,
    /** Failed upload attempts so far. */
    val attempts: Int = 0,
    /** Not sent before this time (ms since the epoch); null while being sent. */
    val notBeforeMs: Long? = null,
    /** How the last failed attempt was answered, while it keeps trying. */
    val lastAnswer: SentReport.Answer? = null,
) {
    enum class State {
        /** Not tried yet: it waits for its own random send time. */
        WAITING,

        /** Tried and failed; it will be tried again. */
        RETRYING,

        /** Being sent right now. */
        SENDING,
    }

    /** One plain sentence for a settings screen. */
    fun describe(): String {
        val which = "The report of $metric for $day (UTC)"
        return when (state) {
            State.WAITING -> "$which is waiting to be sent. $holds"
            State.SENDING -> "$which is being sent. $holds"
            State.RETRYING -> {
                val last = lastAnswer?.let { " (last attempt: ${it.describe()})" } ?: ""
                "$which is not sent yet after $attempts attempt(s)$last; it will be tried again. $holds"
            }
        }
    }

    internal companion object {
        @Suppress("UNCHECKED_CAST")
        fun fromJson(json: Map<String, Any?>): PendingUpload = PendingUpload(
            day = json["day"] as String,
            metric = json["metric"] as String,
            holds = json["holds"] as String,
            state = when (json["state"]) {
                "waiting" -> State.WAITING
                "retrying" -> State.RETRYING
                "sending" -> State.SENDING
                else -> throw HushException("unknown delivery state from the core")
            },
            attempts = (json["attempts"] as Long? ?: 0).toInt(),
            notBeforeMs = json["not_before_ms"] as Long?,
            lastAnswer = (json["last_answer"] as Map<String, Any?>?)?.let(SentReport.Answer::fromJson),
        )
    }
}

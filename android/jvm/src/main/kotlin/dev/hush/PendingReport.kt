package dev.hush

import dev.hush.internal.Json

/** One metric's value in a report. */
sealed interface MetricValue {
    data class Count(val value: Long) : MetricValue
    data class Labeled(val counts: Map<String, Long>) : MetricValue
    data class Flag(val value: Boolean) : MetricValue
    /** `counts[i]` holds samples up to `bounds[i]`; the last count is above every bound. */
    data class Buckets(val bounds: List<Long>, val counts: List<Long>) : MetricValue
    /** Popular domains (allow-listed eTLD+1, or "other"): days seen. */
    data class Domains(val counts: Map<String, Long>) : MetricValue
    data class SearchEngines(val counts: Map<String, Long>) : MetricValue
}

/**
 * Exactly what is waiting to be sent for the open day (P13): the aggregates,
 * the coarse environment, and what was dropped or went wrong, by count.
 * [describe] says it in plain words for a settings screen.
 */
data class PendingReport(
    /** The UTC day, `YYYY-MM-DD`: the only time a report carries. */
    val day: String,
    val appVersion: String,
    val androidApiLevel: Int,
    val language: String,
    val metrics: Map<String, MetricValue>,
    /** Recording errors per metric: kind → count. */
    val errors: Map<String, Map<String, Long>>,
    val unknownMetricCalls: Long,
    /** Addresses dropped without being recorded, by reason. */
    val droppedUrls: Map<String, Long>,
    val droppedReports: Long,
    val rejectedUploads: Long,
    val corruptStateFiles: Long,
    /** Schema descriptions by metric name, used by [describe]. */
    val descriptions: Map<String, String> = emptyMap(),
) {
    val isEmpty: Boolean
        get() = metrics.isEmpty() && errors.isEmpty() && unknownMetricCalls == 0L && droppedUrls.isEmpty() &&
            droppedReports == 0L && rejectedUploads == 0L && corruptStateFiles == 0L

    /** A plain-words account of this report, one line per metric. */
    fun describe(): String = buildString {
        if (metrics.isEmpty()) {
            append("Nothing is waiting to be sent for $day (UTC).")
        } else {
            append("Waiting to be sent for $day (UTC), with app version $appVersion, Android $androidApiLevel, language \"$language\":\n")
            for ((name, value) in metrics) {
                append("  - ").append(title(name)).append(": ").append(words(value)).append('\n')
            }
        }
        val notes = buildList {
            val dropped = droppedUrls.values.sum()
            if (dropped > 0) add("$dropped web ${plural(dropped, "address", "addresses")} not recorded at all (${droppedUrls.keys.joinToString()})")
            if (unknownMetricCalls > 0) add("$unknownMetricCalls ${plural(unknownMetricCalls, "call", "calls")} naming a metric that does not exist")
            for ((metric, kinds) in errors) for ((kind, n) in kinds) add("$n recording ${plural(n, "error", "errors")} for ${title(metric)} ($kind)")
            if (droppedReports > 0) add("$droppedReports earlier ${plural(droppedReports, "report", "reports")} deleted unsent (storage limits, damage, failed attempts, or a clock that was set back)")
            if (rejectedUploads > 0) add("$rejectedUploads ${plural(rejectedUploads, "report", "reports")} refused by the server")
            if (corruptStateFiles > 0) add("$corruptStateFiles damaged or unreadable state ${plural(corruptStateFiles, "file", "files")} deleted")
        }
        if (notes.isNotEmpty()) {
            append(if (metrics.isEmpty()) "\nAlso counted:\n" else "Also counted:\n")
            notes.forEach { append("  - ").append(it).append('\n') }
        }
        if (!endsWith("\n")) append('\n')
        append("No web addresses, search words or identifiers are included.")
    }

    private fun title(name: String): String =
        descriptions[name]?.trim()?.removeSuffix(".")?.takeIf { it.isNotEmpty() } ?: name

    private fun words(value: MetricValue): String = when (value) {
        is MetricValue.Count -> value.value.toString()
        is MetricValue.Flag -> if (value.value) "yes" else "no"
        is MetricValue.Labeled -> value.counts.entries.joinToString { "${it.key} ${it.value}" }
        is MetricValue.SearchEngines -> value.counts.entries.joinToString { "${it.key} ${it.value}" }
        is MetricValue.Domains -> value.counts.entries.joinToString { "${it.key} (${it.value} ${plural(it.value, "day", "days")})" }
        is MetricValue.Buckets -> value.counts.withIndex().filter { it.value > 0 }.joinToString { (i, n) ->
            if (i < value.bounds.size) "$n up to ${value.bounds[i]}" else "$n above ${value.bounds.last()}"
        }
    }

    private fun plural(n: Long, one: String, many: String) = if (n == 1L) one else many

    companion object {
        /** Parses the core's report JSON (hush-core `report.rs`, format hush-report/1). */
        @Suppress("UNCHECKED_CAST")
        fun fromJson(json: String, descriptions: Map<String, String> = emptyMap()): PendingReport {
            val root = Json.parse(json) as Map<String, Any?>
            val env = root["environment"] as Map<String, Any?>
            val metrics = (root["metrics"] as Map<String, Any?>).mapValues { (_, v) -> metricValue(v as Map<String, Any?>) }
            val errors = root["errors"] as Map<String, Any?>? ?: emptyMap()
            val dropped = root["dropped"] as Map<String, Any?>? ?: emptyMap()
            return PendingReport(
                day = root["day"] as String,
                appVersion = env["app_version"] as String,
                androidApiLevel = (env["android_api"] as Long).toInt(),
                language = env["language"] as String,
                metrics = metrics,
                errors = (errors["metrics"] as Map<String, Any?>? ?: emptyMap()).mapValues { longs(it.value) },
                unknownMetricCalls = errors["unknown_metric"] as Long? ?: 0,
                droppedUrls = longs(dropped["urls"]),
                droppedReports = dropped["reports"] as Long? ?: 0,
                rejectedUploads = dropped["rejected_uploads"] as Long? ?: 0,
                corruptStateFiles = dropped["corrupt_state"] as Long? ?: 0,
                descriptions = descriptions,
            )
        }

        @Suppress("UNCHECKED_CAST")
        private fun metricValue(tagged: Map<String, Any?>): MetricValue {
            val (kind, v) = tagged.entries.single()
            return when (kind) {
                "counter" -> MetricValue.Count(v as Long)
                "labeled_counter" -> MetricValue.Labeled(longs(v))
                "boolean" -> MetricValue.Flag(v as Boolean)
                "histogram" -> {
                    val h = v as Map<String, Any?>
                    MetricValue.Buckets(h["bounds"] as List<Long>, h["counts"] as List<Long>)
                }
                "domain" -> MetricValue.Domains(longs(v))
                "search_engine" -> MetricValue.SearchEngines(longs(v))
                else -> throw IllegalArgumentException("unknown metric type in report: $kind")
            }
        }

        @Suppress("UNCHECKED_CAST")
        private fun longs(v: Any?): Map<String, Long> = (v as Map<String, Any?>? ?: emptyMap()).mapValues { it.value as Long }
    }
}

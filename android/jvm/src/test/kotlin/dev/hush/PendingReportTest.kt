package dev.hush

import org.junit.jupiter.api.Test
import kotlin.test.assertContains
import kotlin.test.assertEquals

/** The report JSON shape of hush-core and its plain-words description. */
class PendingReportTest {
    private val json = """
        {"format":"hush-report/1","schema_version":1,"report_id":"00ff","day":"2026-11-21",
         "environment":{"app_version":"14.2","android_api":34,"language":"en"},
         "metrics":{"bookmarks.added":{"counter":3},
                    "page.domain":{"domain":{"other":1,"wikipedia.org":1}},
                    "page.load_time_ms":{"histogram":{"bounds":[100,250],"counts":[0,2,1]}},
                    "settings.search_suggestions_enabled":{"boolean":true}},
         "errors":{"unknown_metric":2,"metrics":{"settings.switched":{"invalid_label":1}}},
         "dropped":{"urls":{"not_http":4},"reports":1}}
    """.trimIndent()

    @Test
    fun `parses every field`() {
        val r = PendingReport.fromJson(json)
        assertEquals("2026-11-21", r.day)
        assertEquals(MetricValue.Count(3), r.metrics["bookmarks.added"])
        assertEquals(MetricValue.Buckets(listOf(100L, 250L), listOf(0L, 2L, 1L)), r.metrics["page.load_time_ms"])
        assertEquals(2L, r.unknownMetricCalls)
        assertEquals(mapOf("settings.switched" to mapOf("invalid_label" to 1L)), r.errors)
        assertEquals(mapOf("not_http" to 4L), r.droppedUrls)
        assertEquals(1L, r.droppedReports)
    }

    @Test
    fun `describes in plain words, in the schema's own terms`() {
        val text = PendingReport.fromJson(json, mapOf("bookmarks.added" to "Bookmarks added.")).describe()
        assertContains(text, "Waiting to be sent for 2026-11-21 (UTC), with app version 14.2, Android 34, language \"en\":")
        assertContains(text, "Bookmarks added: 3")
        assertContains(text, "other (1 day), wikipedia.org (1 day)")
        assertContains(text, "2 up to 250, 1 above 250")
        assertContains(text, "settings.search_suggestions_enabled: yes")
        assertContains(text, "4 web addresses not recorded at all (not_http)")
        assertContains(text, "2 calls naming a metric that does not exist")
        assertContains(text, "1 earlier report deleted unsent")
    }
}

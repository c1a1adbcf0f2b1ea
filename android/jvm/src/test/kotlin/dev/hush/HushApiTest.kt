package dev.hush

import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.time.LocalDate
import java.time.ZoneOffset
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue

/** The public Kotlin API end to end through the native core (no sealing needed). */
class HushApiTest {
    @TempDir
    lateinit var dir: File

    @Test
    fun `typed metrics record what they say, and the report describes it in plain words`() {
        Hush.start(TestSupport.config(dir)).use { hush ->
            val tab = hush.openTab(private = false)
            val bookmarks = hush.counter("bookmarks.added")
            repeat(3) { tab.count(bookmarks) }
            tab.count(hush.labeledCounter("settings.switched"), "dark_mode_on", 2)
            tab.set(hush.boolean("settings.search_suggestions_enabled"), false)
            tab.accumulate(hush.histogram("page.load_time_ms"), 90)
            tab.pageLoaded("https://www.wikipedia.org/wiki/Kotlin", 240)
            tab.searched("https://duckduckgo.com/?q=kotlin")

            val report = hush.pendingReport()
            assertEquals(LocalDate.now(ZoneOffset.UTC).toString(), report.day)
            assertEquals("14.2", report.appVersion)
            assertEquals("de", report.language)
            assertEquals(34, report.androidApiLevel)
            assertEquals(MetricValue.Count(3), report.metrics["bookmarks.added"])
            assertEquals(MetricValue.Labeled(mapOf("dark_mode_on" to 2L)), report.metrics["settings.switched"])
            assertEquals(MetricValue.Flag(false), report.metrics["settings.search_suggestions_enabled"])
            val load = report.metrics["page.load_time_ms"] as MetricValue.Buckets
            assertEquals(2L, load.counts.sum())
            // Only a registrable domain on the allow-list (or "other"), once a day.
            val domains = report.metrics["page.domain"] as MetricValue.Domains
            assertEquals(mapOf("wikipedia.org" to 1L), domains.counts)
            assertEquals(MetricValue.SearchEngines(mapOf("duckduckgo" to 1L)), report.metrics["search.engine"])

            val text = report.describe()
            assertContains(text, "Waiting to be sent for ${report.day}")
            assertContains(text, "Bookmarks added: 3")
            assertContains(text, "wikipedia.org (1 day)")
            assertContains(text, "duckduckgo 1")
            assertContains(text, "No web addresses, search words or identifiers are included.")
            assertFalse(text.contains("/wiki/Kotlin"))
        }
    }

    @Test
    fun `state survives a restart`() {
        Hush.start(TestSupport.config(dir)).use { hush ->
            hush.openTab(private = false).count(hush.counter("downloads.started"), 5)
        }
        Hush.start(TestSupport.config(dir)).use { hush ->
            assertEquals(MetricValue.Count(5), hush.pendingReport().metrics["downloads.started"])
        }
    }

    @Test
    fun `flush writes the checkpoint and returns when nothing is due`() {
        Hush.start(TestSupport.config(dir)).use { hush ->
            hush.openTab(private = false).count(hush.counter("reader_mode.used"))
            assertTrue(TestSupport.snapshot(dir).isEmpty(), "nothing on disk before the debounce or a flush")
            hush.flush()
            assertTrue(TestSupport.snapshot(dir).isNotEmpty())
        }
    }

    @Test
    fun `a custom schema is used instead of the shipped one`() {
        // The JSON that `hush schema` writes for the TOML file
        // schema_version = 7 / [metrics."app.opened"] type = "counter" ...
        val schema = """
            {"schema_version": 7,
             "metrics": {"app.opened": {"type": "counter", "description": "App opened.", "expires": "never"}}}
        """.trimIndent()
        val config = TestSupport.config(dir).let {
            HushConfig(
                it.dataDir, it.keyConfig, it.gatewayUrl, it.relayUrl, it.environment, TestSupport.tasksFor(schema),
                schemaJson = schema, collectionEnabled = true, uploader = it.uploader,
            )
        }
        Hush.start(config).use { hush ->
            hush.openTab(private = false).count(hush.counter("app.opened"))
            assertEquals(mapOf<String, MetricValue>("app.opened" to MetricValue.Count(1)), hush.pendingReport().metrics)
            kotlin.test.assertFailsWith<IllegalArgumentException> { hush.counter("bookmarks.added") }
        }
        val broken = HushConfig(
            File(dir, "b"), TestSupport.KEYS, TestSupport.GATEWAY, TestSupport.RELAY, TestSupport.ENV, TestSupport.TASKS,
            schemaJson = "schema_version = 7",
        )
        val e = kotlin.test.assertFailsWith<IllegalArgumentException> { Hush.start(broken) }
        assertContains(e.message!!, "schema syntax: JSON")
        // The shipped schema's task configuration does not fit another schema.
        val mismatched = HushConfig(
            File(dir, "c"), TestSupport.KEYS, TestSupport.GATEWAY, TestSupport.RELAY, TestSupport.ENV, TestSupport.TASKS,
            schemaJson = schema,
        )
        val m = kotlin.test.assertFailsWith<IllegalArgumentException> { Hush.start(mismatched) }
        assertContains(m.message!!, "no task for 'app.opened'")
    }

    @Test
    fun `an empty report says so`() {
        Hush.start(TestSupport.config(dir)).use { hush ->
            assertContains(hush.pendingReport().describe(), "Nothing is waiting to be sent")
        }
    }
}

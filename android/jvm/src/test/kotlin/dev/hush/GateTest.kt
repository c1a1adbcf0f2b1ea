package dev.hush

import dev.hush.internal.NativeBridge
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertNotEquals
import kotlin.test.assertTrue

/** P1-P3 through JNI: what a private tab, a missing consent or a switch-off does. */
class GateTest {
    @TempDir
    lateinit var dir: File

    @Test
    fun `private tab calls change nothing, in memory or on disk`() {
        Hush.start(TestSupport.config(dir)).use { hush ->
            val normal = hush.openTab(private = false)
            TestSupport.recordEverything(hush, normal) // so the report is not trivially empty
            hush.flush()
            val reportBefore = NativeBridge.pendingReport(hush.handle)
            val filesBefore = TestSupport.snapshot(dir)

            val private = hush.openTab(private = true)
            repeat(3) { TestSupport.recordEverything(hush, private) }
            hush.flush()

            assertEquals(reportBefore, NativeBridge.pendingReport(hush.handle))
            assertEquals(filesBefore, TestSupport.snapshot(dir))
            // The same calls through the normal tab do change it: the check can fail.
            TestSupport.recordEverything(hush, normal)
            assertNotEquals(reportBefore, NativeBridge.pendingReport(hush.handle))
        }
    }

    @Test
    fun `with enhanced incognito off a private tab counts only aggregate counters`() {
        Hush.start(TestSupport.config(dir, enhancedIncognito = false)).use { hush ->
            val private = hush.openTab(private = true)
            TestSupport.recordEverything(hush, private)
            val metrics = hush.pendingReport().metrics
            assertEquals(mapOf<String, MetricValue>("tabs.private_opened" to MetricValue.Count(1)), metrics)

            hush.setEnhancedIncognito(true)
            TestSupport.recordEverything(hush, private)
            assertEquals(metrics, hush.pendingReport().metrics)
        }
    }

    @Test
    fun `nothing is recorded before the user's choice is given`() {
        Hush.start(TestSupport.config(dir, collection = null)).use { hush ->
            TestSupport.recordEverything(hush, hush.openTab(private = false))
            assertTrue(hush.pendingReport().isEmpty)
        }
    }

    @Test
    fun `switching collection off deletes every unsent byte at once and on starts empty`() {
        Hush.start(TestSupport.config(dir)).use { hush ->
            val tab = hush.openTab(private = false)
            TestSupport.recordEverything(hush, tab)
            hush.flush()
            assertTrue(TestSupport.snapshot(dir).isNotEmpty(), "a checkpoint was written")

            hush.setCollectionEnabled(false)
            assertTrue(hush.pendingReport().isEmpty)
            assertEquals(emptyMap(), TestSupport.snapshot(dir))
            TestSupport.recordEverything(hush, tab)
            assertTrue(hush.pendingReport().isEmpty)

            hush.setCollectionEnabled(true)
            assertTrue(hush.pendingReport().isEmpty)
            tab.count(hush.counter("bookmarks.added"))
            assertEquals(MetricValue.Count(1), hush.pendingReport().metrics["bookmarks.added"])
        }
    }
}

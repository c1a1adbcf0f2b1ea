package dev.hush

import dev.hush.internal.NativeBridge
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.util.concurrent.TimeUnit
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotEquals
import kotlin.test.assertTrue

/**
 * P1 in the Kotlin layer: a private tab's calls never reach the background
 * scheduler, so they schedule no checkpoint and no file changes because of
 * them, with Enhanced incognito on or off, within a day or after midnight
 * (the test-hooks library's movable clock). Every case ends with the same
 * check through a normal tab, which must schedule, run and write: the
 * observation can fail.
 */
class PrivateTabSchedulingTest {
    @TempDir
    lateinit var dir: File

    private val delayMs = 200L

    /**
     * Waits until every checkpoint a call just made could have scheduled has
     * run: the background thread runs its tasks in the order they are due,
     * so a task due later than [delayMs] runs after them. Exact, however
     * slow the machine.
     */
    private fun settle(hush: Hush) {
        hush.background.afterDelay(delayMs + 50).get(60, TimeUnit.SECONDS)
    }

    @Test
    fun `private calls schedule nothing, enhanced incognito on, within a day and after midnight`() {
        for (afterMidnight in listOf(false, true)) privateCallsScheduleNothing(enhancedIncognito = true, afterMidnight)
    }

    @Test
    fun `private calls schedule nothing, enhanced incognito off, within a day and after midnight`() {
        for (afterMidnight in listOf(false, true)) privateCallsScheduleNothing(enhancedIncognito = false, afterMidnight)
    }

    private fun privateCallsScheduleNothing(enhancedIncognito: Boolean, afterMidnight: Boolean) {
        TestSupport.awayFromUtcMidnight()
        val dir = File(dir, if (afterMidnight) "after-midnight" else "within-a-day")
        Hush.start(TestSupport.config(dir, enhancedIncognito = enhancedIncognito, checkpointDelayMs = delayMs)).use { hush ->
            val normal = hush.openTab(private = false)
            TestSupport.recordEverything(hush, normal) // so the day has something to seal
            hush.flush()
            settle(hush) // the start-up checkpoint has run too
            val scheduled = hush.background.checkpointsScheduled.get()
            val run = hush.background.checkpointsRun.get()
            val files = TestSupport.snapshot(dir)
            val report = hush.pendingReport()
            assertTrue(files.isNotEmpty(), "a checkpoint was written")

            val day = 86_400_000L
            if (afterMidnight) NativeBridge.testAdvanceClock(day)
            try {
                val private = hush.openTab(private = true)
                repeat(3) { TestSupport.recordEverything(hush, private) }
                private.close()
                settle(hush)

                assertEquals(scheduled, hush.background.checkpointsScheduled.get(), "no checkpoint scheduled")
                assertEquals(run, hush.background.checkpointsRun.get(), "no checkpoint ran")
                assertEquals(files, TestSupport.snapshot(dir), "the data directory is byte-identical")
                if (enhancedIncognito) {
                    assertEquals(report, hush.pendingReport(), "nothing recorded")
                } else {
                    // P2: the aggregate counter was counted, in memory only
                    // (into a new day's window after midnight).
                    val before = if (afterMidnight) 0L else (report.metrics["tabs.private_opened"] as MetricValue.Count).value
                    assertEquals(MetricValue.Count(before + 3), hush.pendingReport().metrics["tabs.private_opened"])
                }

                // The same observation sees a normal tab's call: it can fail.
                normal.count(hush.counter("bookmarks.added"))
                settle(hush)
                assertEquals(scheduled + 1, hush.background.checkpointsScheduled.get())
                assertEquals(run + 1, hush.background.checkpointsRun.get())
                val after = TestSupport.snapshot(dir)
                assertNotEquals(files, after, "a normal tab's call is written")
                if (afterMidnight) {
                    // That checkpoint sealed the closed day: the file a private
                    // call would have caused, had it scheduled one.
                    assertTrue(after.keys.any { it.startsWith("pending") && it !in files }, "sealed: ${after.keys}")
                }
            } finally {
                if (afterMidnight) NativeBridge.testAdvanceClock(-day)
            }
        }
    }

    @Test
    fun `a private tab's aggregate count is saved by the checkpoints that happen anyway`() {
        Hush.start(TestSupport.config(dir, enhancedIncognito = false, checkpointDelayMs = delayMs)).use { hush ->
            settle(hush) // the start-up checkpoint has run
            val files = TestSupport.snapshot(dir)
            val private = hush.openTab(private = true)
            private.count(hush.counter("tabs.private_opened"))
            settle(hush)
            assertEquals(files, TestSupport.snapshot(dir), "not written because of the private call")
            hush.checkpointSoon() // what the Android adapter calls when the app goes to the background
            settle(hush)
            assertNotEquals(files, TestSupport.snapshot(dir), "written by the next checkpoint")
        }
        // The count survived: a new instance on the same directory reloads it.
        Hush.start(TestSupport.config(dir, enhancedIncognito = false)).use { hush ->
            assertEquals(MetricValue.Count(1), hush.pendingReport().metrics["tabs.private_opened"])
        }
    }

    @Test
    fun `a schema whose aggregate labels are domains is refused at start`() {
        val schema = """
            {"schema_version": 1,
             "metrics": {"private.site": {"type": "labeled_counter", "incognito": "aggregate",
               "labels": ["grindr.com", "new_tab"],
               "description": "A private tab's site, smuggled through a label.", "expires": "never"}}}
        """.trimIndent()
        val config = TestSupport.config(dir, enhancedIncognito = false).let {
            HushConfig(
                it.dataDir, it.keyConfig, it.gatewayUrl, it.relayUrl, it.environment, it.taskConfig,
                schemaJson = schema, collectionEnabled = true, enhancedIncognito = false, uploader = it.uploader,
            )
        }
        val e = assertFailsWith<IllegalArgumentException> { Hush.start(config) }
        assertContains(e.message!!, "UI identifier")
        assertEquals(emptyMap(), TestSupport.snapshot(dir), "nothing was opened")
    }
}

package dev.hush.android.test

import androidx.test.ext.junit.runners.AndroidJUnit4
import dev.hush.Hush
import dev.hush.MetricValue
import dev.hush.android.test.Fixtures.config
import dev.hush.android.test.Fixtures.recordEverything
import dev.hush.android.test.Fixtures.snapshot
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith

/** P1-P3 on a device: GateTest's cases, through Android's JNI and file system. */
@RunWith(AndroidJUnit4::class)
class GateDeviceTest {
    @Test
    fun privateTabCallsChangeNothingInMemoryOrOnDisk() {
        val dir = Fixtures.freshDir("gate-private")
        Hush.start(config(dir)).use { hush ->
            val normal = hush.openTab(private = false)
            recordEverything(hush, normal) // so the report is not trivially empty
            hush.flush()
            val reportBefore = hush.pendingReport()
            val filesBefore = snapshot(dir)

            val private = hush.openTab(private = true)
            repeat(3) { recordEverything(hush, private) }
            hush.flush()

            assertEquals(reportBefore, hush.pendingReport())
            assertEquals(filesBefore, snapshot(dir))
            // The same calls through the normal tab do change it: the check can fail.
            recordEverything(hush, normal)
            assertNotEquals(reportBefore, hush.pendingReport())
        }
    }

    /**
     * PrivateTabSchedulingTest's case on a device, without the host's movable
     * clock or its view of the background thread: private calls, with
     * Enhanced incognito on and off, leave the directory as it was for many
     * checkpoint delays; a normal call then changes it (the check can fail).
     */
    @Test
    fun privateTabCallsScheduleNoCheckpoint() {
        for (enhancedIncognito in listOf(true, false)) {
            val dir = Fixtures.freshDir("gate-schedule-$enhancedIncognito")
            val delayMs = 200L
            Hush.start(config(dir, enhancedIncognito = enhancedIncognito, checkpointDelayMs = delayMs)).use { hush ->
                val normal = hush.openTab(private = false)
                recordEverything(hush, normal)
                hush.flush()
                Thread.sleep(delayMs * 5) // the start-up checkpoint has run
                val filesBefore = snapshot(dir)

                val private = hush.openTab(private = true)
                repeat(3) { recordEverything(hush, private) }
                Thread.sleep(delayMs * 10)
                assertEquals(filesBefore, snapshot(dir))

                normal.count(hush.counter("bookmarks.added"))
                val deadline = System.currentTimeMillis() + 30_000
                while (snapshot(dir) == filesBefore && System.currentTimeMillis() < deadline) Thread.sleep(delayMs)
                assertNotEquals(filesBefore, snapshot(dir))
            }
        }
    }

    @Test
    fun withEnhancedIncognitoOffAPrivateTabCountsOnlyAggregateCounters() {
        Hush.start(config(Fixtures.freshDir("gate-p2"), enhancedIncognito = false)).use { hush ->
            val private = hush.openTab(private = true)
            recordEverything(hush, private)
            val metrics = hush.pendingReport().metrics
            assertEquals(mapOf<String, MetricValue>("tabs.private_opened" to MetricValue.Count(1)), metrics)

            hush.setEnhancedIncognito(true)
            recordEverything(hush, private)
            assertEquals(metrics, hush.pendingReport().metrics)
        }
    }

    @Test
    fun nothingIsRecordedBeforeTheUsersChoice() {
        Hush.start(config(Fixtures.freshDir("gate-consent"), collection = null)).use { hush ->
            recordEverything(hush, hush.openTab(private = false))
            assertTrue(hush.pendingReport().isEmpty)
        }
    }
}

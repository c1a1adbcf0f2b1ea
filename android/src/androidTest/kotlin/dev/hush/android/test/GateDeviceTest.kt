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

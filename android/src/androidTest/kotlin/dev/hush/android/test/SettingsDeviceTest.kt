package dev.hush.android.test

import android.app.job.JobScheduler
import android.content.SharedPreferences
import android.os.Build
import androidx.test.ext.junit.runners.AndroidJUnit4
import androidx.test.platform.app.InstrumentationRegistry
import dev.hush.Hush
import dev.hush.MetricValue
import dev.hush.android.HushAndroid
import dev.hush.android.HushSettings
import dev.hush.android.HushUploadJobService
import dev.hush.android.test.Fixtures.recordEverything
import dev.hush.android.test.Fixtures.snapshot
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assume.assumeTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith

/**
 * The two switches through HushAndroid, written the way a preference screen
 * writes them: committed on the main thread, where the listener runs before
 * commit() returns ("at once").
 */
@RunWith(AndroidJUnit4::class)
class SettingsDeviceTest {
    private lateinit var prefs: SharedPreferences
    private val jobs get() = Fixtures.context.getSystemService(JobScheduler::class.java)

    @Before
    fun clean() {
        HushAndroid.shutdown()
        HushAndroid.dataDir(Fixtures.context).deleteRecursively()
        jobs.cancel(JOB_ID)
        prefs = Fixtures.freshPreferences("settings")
    }

    @After
    fun stop() = HushAndroid.shutdown()

    private fun init(): Hush = HushAndroid.init(
        Fixtures.context, Fixtures.KEYS, Fixtures.GATEWAY, Fixtures.RELAY, Fixtures.TASKS,
        preferences = prefs, uploader = Fixtures.NO_UPLOADS, jobId = JOB_ID,
    )

    private fun onMain(edit: SharedPreferences.Editor.() -> Unit) =
        InstrumentationRegistry.getInstrumentation().runOnMainSync { prefs.edit().apply(edit).commit() }

    @Test
    fun nothingIsRecordedOrScheduledUntilUsageStatisticsIsSwitchedOn() {
        val hush = init()
        recordEverything(hush, hush.openTab(private = false))
        assertTrue(hush.pendingReport().isEmpty)
        assertNull(jobs.getPendingJob(JOB_ID))

        onMain { putBoolean(HushSettings.KEY_USAGE_STATISTICS, true) }
        hush.openTab(private = false).count(hush.counter("bookmarks.added"))
        assertEquals(MetricValue.Count(1), hush.pendingReport().metrics["bookmarks.added"])
        val job = checkNotNull(jobs.getPendingJob(JOB_ID)) { "no upload job scheduled" }
        assertEquals(HushUploadJobService::class.java.name, job.service.className)
        assertTrue(job.isPeriodic)
    }

    @Test
    fun switchingUsageStatisticsOffDeletesPendingDataAtOnce() {
        onMain { putBoolean(HushSettings.KEY_USAGE_STATISTICS, true) }
        val hush = init()
        recordEverything(hush, hush.openTab(private = false))
        hush.flush()
        val dir = HushAndroid.dataDir(Fixtures.context)
        assertTrue("a checkpoint was written", snapshot(dir).isNotEmpty())

        onMain { putBoolean(HushSettings.KEY_USAGE_STATISTICS, false) }
        assertTrue(hush.pendingReport().isEmpty)
        assertEquals(emptyMap<String, List<Byte>>(), snapshot(dir))
        assertNull("the upload job is cancelled", jobs.getPendingJob(JOB_ID))
    }

    /** Off → on (and back to the default, on), live. The reverse is the next test. */
    @Test
    fun enhancedIncognitoFollowsItsSwitch() {
        onMain {
            putBoolean(HushSettings.KEY_USAGE_STATISTICS, true)
            putBoolean(HushSettings.KEY_ENHANCED_INCOGNITO, false)
        }
        val hush = init()
        val private = hush.openTab(private = true)
        recordEverything(hush, private)
        val aggregateOnly = mapOf<String, MetricValue>("tabs.private_opened" to MetricValue.Count(1))
        assertEquals(aggregateOnly, hush.pendingReport().metrics)

        onMain { putBoolean(HushSettings.KEY_ENHANCED_INCOGNITO, true) }
        recordEverything(hush, private)
        assertEquals(aggregateOnly, hush.pendingReport().metrics)

        onMain { remove(HushSettings.KEY_ENHANCED_INCOGNITO) } // absent = the default, on
        recordEverything(hush, private)
        assertEquals(aggregateOnly, hush.pendingReport().metrics)
    }

    @Test
    fun enhancedIncognitoSwitchedOffLiveLetsPrivateTabsCountAggregatesOnly() {
        onMain {
            putBoolean(HushSettings.KEY_USAGE_STATISTICS, true)
            putBoolean(HushSettings.KEY_ENHANCED_INCOGNITO, true)
        }
        val hush = init()
        val private = hush.openTab(private = true)
        recordEverything(hush, private)
        assertTrue("on: a private tab records nothing at all", hush.pendingReport().isEmpty)

        // Off while the tab is open: from the next call on, aggregates count.
        onMain { putBoolean(HushSettings.KEY_ENHANCED_INCOGNITO, false) }
        recordEverything(hush, private)
        val aggregateOnly = mapOf<String, MetricValue>("tabs.private_opened" to MetricValue.Count(1))
        assertEquals(aggregateOnly, hush.pendingReport().metrics)
        // A private tab opened after the switch behaves the same way.
        recordEverything(hush, hush.openTab(private = true))
        assertEquals(mapOf<String, MetricValue>("tabs.private_opened" to MetricValue.Count(2)), hush.pendingReport().metrics)
    }

    @Test
    fun clearingThePreferencesCountsAsSwitchedOff() {
        // clear() notifies listeners (with a null key) from API 30 on only.
        assumeTrue(Build.VERSION.SDK_INT >= 30)
        onMain { putBoolean(HushSettings.KEY_USAGE_STATISTICS, true) }
        val hush = init()
        hush.openTab(private = false).count(hush.counter("bookmarks.added"))
        assertFalse(hush.pendingReport().isEmpty)

        onMain { clear() }
        assertTrue(hush.pendingReport().isEmpty)
    }

    private companion object {
        /** Not the default id, so that a test never touches an app's real job. */
        const val JOB_ID = 0x48555349
    }
}

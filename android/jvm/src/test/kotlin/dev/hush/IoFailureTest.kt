package dev.hush

import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue

/**
 * Disk failures through the real native library become [HushException] (the
 * I/O kind; not IllegalArgument/IllegalState, never a crash), and Hush goes
 * on working once the disk does. The failures are made with a regular file
 * where a directory must be (ENOTDIR), which fails for root too, unlike a
 * chmod-ed directory.
 */
class IoFailureTest {
    @TempDir
    lateinit var dir: File

    private fun exactlyHushException(block: () -> Unit): HushException {
        val e = assertFailsWith<HushException> { block() }
        assertEquals(HushException::class.java, e.javaClass)
        return e
    }

    @Test
    fun `a data directory that is a regular file is a HushException, and nothing stays open on it`() {
        val file = File(dir, "not-a-dir").apply { writeText("x") }
        repeat(2) {
            // Twice: the failed start must not leave the path registered as in use.
            val e = exactlyHushException { Hush.start(TestSupport.config(file)) }
            assertTrue(e.message!!.contains("data directory"), e.message)
        }
        assertEquals("x", file.readText(), "the file is left as it was")
        val e = exactlyHushException { Hush.start(TestSupport.config(File(file, "hush"))) }
        assertTrue(e.message!!.contains("data directory"), e.message)

        // The library keeps working: a good directory starts and records.
        Hush.start(TestSupport.config(File(dir, "good"))).use { hush ->
            hush.openTab(private = false).count(hush.counter("bookmarks.added"))
            assertEquals(MetricValue.Count(1), hush.pendingReport().metrics["bookmarks.added"])
        }
    }

    @Test
    fun `a checkpoint that cannot be written is a HushException, recording goes on and the next checkpoint saves it all`() {
        val data = File(dir, "data")
        val moved = File(dir, "moved")
        Hush.start(TestSupport.config(data)).use { hush ->
            val bookmarks = hush.counter("bookmarks.added")
            val tab = hush.openTab(private = false)
            tab.count(bookmarks)
            hush.flush()
            assertTrue(data.list()!!.isNotEmpty(), "a first checkpoint was written")

            // The data directory disappears and a regular file takes its path.
            assertTrue(data.renameTo(moved))
            data.writeText("not a directory")
            tab.count(bookmarks)
            exactlyHushException { hush.flush() }

            // Recording is memory-only and unaffected.
            tab.count(bookmarks)
            tab.pageLoaded("https://en.wikipedia.org/wiki/Disk", 100)
            assertEquals(MetricValue.Count(3), hush.pendingReport().metrics["bookmarks.added"])
            // The failure names no browsing data (P11), though the state it
            // could not write holds a domain now.
            val e = exactlyHushException { hush.flush() }
            assertFalse(e.message.orEmpty().contains("wikipedia"), e.message)

            // The disk comes back: the next checkpoint writes everything.
            assertTrue(data.delete())
            assertTrue(moved.renameTo(data))
            hush.flush()
        }
        Hush.start(TestSupport.config(data)).use { hush ->
            val report = hush.pendingReport()
            assertEquals(MetricValue.Count(3), report.metrics["bookmarks.added"])
            assertEquals(1L, (report.metrics["page.domain"] as MetricValue.Domains).counts["wikipedia.org"])
        }
    }
}

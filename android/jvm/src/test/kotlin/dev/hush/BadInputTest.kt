package dev.hush

import dev.hush.internal.NativeBridge
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.util.concurrent.CyclicBarrier
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

/**
 * Bad input and misuse through the real native library: each gives its
 * exception, never a crash, and the library keeps working afterwards.
 */
class BadInputTest {
    @TempDir
    lateinit var dir: File
    private lateinit var hush: Hush
    private lateinit var tab: Tab
    private lateinit var bookmarks: Counter

    @BeforeEach
    fun start() {
        hush = Hush.start(TestSupport.config(dir))
        tab = hush.openTab(private = false)
        bookmarks = hush.counter("bookmarks.added")
    }

    @AfterEach
    fun stillWorks() {
        if (!::hush.isInitialized) return
        try {
            val before = (hush.pendingReport().metrics["bookmarks.added"] as MetricValue.Count?)?.value ?: 0
            val t = hush.openTab(private = false)
            t.count(hush.counter("bookmarks.added"))
            assertEquals(MetricValue.Count(before + 1), hush.pendingReport().metrics["bookmarks.added"])
            hush.close()
        } catch (e: IllegalStateException) {
            // The test closed it on purpose; a fresh instance must work.
            Hush.start(TestSupport.config(dir)).use { fresh ->
                fresh.openTab(private = false).count(fresh.counter("bookmarks.added"))
                assertTrue(fresh.pendingReport().metrics.containsKey("bookmarks.added"))
            }
        }
    }

    @Test
    fun `null arguments are IllegalArgumentException`() {
        val h = hush.handle
        val t = NativeBridge.openTab(h, false)
        val m = bookmarks.index
        assertFailsWith<IllegalArgumentException> { NativeBridge.pageLoaded(h, t, null, 1) }
        assertFailsWith<IllegalArgumentException> { NativeBridge.searched(h, t, null) }
        assertFailsWith<IllegalArgumentException> { NativeBridge.metric(h, null) }
        assertFailsWith<IllegalArgumentException> { NativeBridge.addLabel(h, t, m, null, 1) }
        assertFailsWith<IllegalArgumentException> { NativeBridge.uploadFinished(h, null, 200, null, -1) }
        assertFailsWith<IllegalArgumentException> {
            NativeBridge.open(null, null, TestSupport.KEYS, TestSupport.GATEWAY, null, "1.0", 34, "en", 1, true)
        }
        assertFailsWith<IllegalArgumentException> {
            NativeBridge.open(File(dir, "other").path, null, null, TestSupport.GATEWAY, null, "1.0", 34, "en", 1, true)
        }
    }

    @Test
    fun `empty strings are IllegalArgumentException`() {
        assertFailsWith<IllegalArgumentException> { tab.pageLoaded("", 1) }
        assertFailsWith<IllegalArgumentException> { tab.searched("") }
        assertFailsWith<IllegalArgumentException> { hush.counter("") }
        assertFailsWith<IllegalArgumentException> { tab.count(hush.labeledCounter("settings.switched"), "") }
        assertFailsWith<IllegalArgumentException> { Hush.start(TestSupport.config(File(dir, "x"), gateway = "")) }
    }

    @Test
    fun `a 10 MB URL is refused quickly`() {
        val huge = "https://example.com/" + "a".repeat(10 * 1024 * 1024)
        val started = System.nanoTime()
        val e = assertFailsWith<IllegalArgumentException> { tab.pageLoaded(huge, 1) }
        assertFailsWith<IllegalArgumentException> { tab.searched(huge) }
        assertContains(e.message!!, "longer than")
        assertTrue(System.nanoTime() - started < 1_000_000_000, "rejected by length, not by reading 10 MB")
    }

    @Test
    fun `lone surrogates are refused, never replaced`() {
        for (bad in listOf("https://example.com/\uD800", "https://\uDC00example.com/", "https://example.com/\uD83D\uD83D\uDE00")) {
            val e = assertFailsWith<IllegalArgumentException> { tab.pageLoaded(bad, 1) }
            assertContains(e.message!!, "UTF-16")
            assertFailsWith<IllegalArgumentException> { tab.searched(bad) }
        }
        assertFailsWith<IllegalArgumentException> { tab.count(hush.labeledCounter("settings.switched"), "dark_mode_on\uD800") }
        assertFailsWith<IllegalArgumentException> { hush.counter("bookmarks\uDFFF") }
        // A valid pair is fine.
        tab.pageLoaded("https://example.com/\uD83D\uDE00", 1)
    }

    @Test
    fun `unknown or mistyped metrics and labels are IllegalArgumentException`() {
        assertFailsWith<IllegalArgumentException> { hush.counter("no.such.metric") }
        val wrongType = assertFailsWith<IllegalArgumentException> { hush.counter("settings.switched") }
        assertContains(wrongType.message!!, "labeled counter")
        assertFailsWith<IllegalArgumentException> { tab.count(hush.labeledCounter("settings.switched"), "not_a_label") }
        assertFailsWith<IllegalArgumentException> { tab.count(bookmarks, -1) }
        assertFailsWith<IllegalArgumentException> { tab.pageLoaded("https://example.com/", -5) }
        assertFailsWith<IllegalArgumentException> { NativeBridge.add(hush.handle, NativeBridge.openTab(hush.handle, false), 99_999, 1) }
        assertFailsWith<IllegalArgumentException> { NativeBridge.add(hush.handle, NativeBridge.openTab(hush.handle, false), -1, 1) }
        Hush.start(TestSupport.config(File(dir, "other"))).use { other ->
            assertFailsWith<IllegalArgumentException> { tab.count(other.counter("bookmarks.added")) }
        }
    }

    @Test
    fun `closed, stale and forged tabs are IllegalStateException`() {
        val closed = hush.openTab(private = true)
        closed.close()
        assertFailsWith<IllegalStateException> { closed.pageLoaded("https://example.com/", 1) }
        assertFailsWith<IllegalStateException> { closed.count(bookmarks) }
        assertFailsWith<IllegalStateException> { closed.close() }
        // Its slot is reused by a normal tab; the stale private handle must not reach it.
        hush.openTab(private = false)
        assertFailsWith<IllegalStateException> { closed.count(bookmarks) }
        for (forged in listOf(0L, -1L, 1L, Long.MAX_VALUE, 42L shl 32)) {
            assertFailsWith<IllegalStateException> { NativeBridge.add(hush.handle, forged, bookmarks.index, 1) }
        }
    }

    @Test
    fun `use after close is IllegalStateException, for the instance and for forged handles`() {
        val h = hush.handle
        hush.close()
        assertFailsWith<IllegalStateException> { tab.pageLoaded("https://example.com/", 1) }
        assertFailsWith<IllegalStateException> { tab.count(bookmarks) }
        assertFailsWith<IllegalStateException> { hush.pendingReport() }
        assertFailsWith<IllegalStateException> { hush.openTab(private = false) }
        assertFailsWith<IllegalStateException> { hush.flush() }
        assertFailsWith<IllegalStateException> { hush.close() }
        assertFailsWith<IllegalStateException> { NativeBridge.close(h) }
        for (forged in listOf(0L, -1L, h + 1, h xor (1L shl 40), Long.MIN_VALUE)) {
            assertFailsWith<IllegalStateException> { NativeBridge.pendingReport(forged) }
            assertFailsWith<IllegalStateException> { NativeBridge.checkpoint(forged) }
        }
    }

    @Test
    fun `a second instance on the same directory is refused`() {
        assertFailsWith<IllegalStateException> { Hush.start(TestSupport.config(dir)) }
    }

    @Test
    fun `16 threads at once - every call counted, every bad call its exception`() {
        val threads = 16
        val rounds = 2_000
        val barrier = CyclicBarrier(threads)
        val pool = Executors.newFixedThreadPool(threads)
        val labeled = hush.labeledCounter("settings.switched")
        val futures = (0 until threads).map { n ->
            pool.submit<Int> {
                val mine = hush.openTab(private = n % 2 == 1)
                barrier.await()
                var failures = 0
                repeat(rounds) { i ->
                    mine.count(bookmarks)
                    mine.pageLoaded("https://wikipedia.org/wiki/$i", i.toLong())
                    try {
                        when (i % 4) {
                            0 -> mine.pageLoaded("https://x/\uD800", 1)
                            1 -> mine.count(labeled, "nope")
                            2 -> NativeBridge.add(hush.handle, -7, bookmarks.index, 1)
                            else -> mine.count(bookmarks, -1)
                        }
                    } catch (e: IllegalArgumentException) {
                        failures++
                    } catch (e: IllegalStateException) {
                        failures++
                    }
                }
                mine.close()
                failures
            }
        }
        val failures = futures.sumOf { it.get(120, TimeUnit.SECONDS) }
        pool.shutdown()
        // Private tabs (odd n) count nothing: their invalid-label calls and
        // their lone-surrogate URLs are dropped at the gate before the label
        // is looked at or the URL is even copied out of the Java string.
        val privateGateCalls = 2 * (threads / 2) * (rounds / 4)
        assertEquals(threads * rounds - privateGateCalls, failures)
        assertEquals(MetricValue.Count((threads / 2L) * rounds), hush.pendingReport().metrics["bookmarks.added"])
    }
}

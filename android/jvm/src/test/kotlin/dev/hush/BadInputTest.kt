package dev.hush

import dev.hush.internal.NativeBridge
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.CyclicBarrier
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
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
            NativeBridge.open(null, null, TestSupport.KEYS, TestSupport.GATEWAY, null, TestSupport.TASKS, true, "1.0", 34, "en", 1, true)
        }
        assertFailsWith<IllegalArgumentException> {
            NativeBridge.open(File(dir, "other").path, null, null, TestSupport.GATEWAY, null, TestSupport.TASKS, true, "1.0", 34, "en", 1, true)
        }
        assertFailsWith<IllegalArgumentException> {
            NativeBridge.open(File(dir, "other").path, null, TestSupport.KEYS, TestSupport.GATEWAY, null, null, true, "1.0", 34, "en", 1, true)
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
    fun `16 threads at once - every call counted, every bad call its own exception, and the library keeps working`() {
        val threads = 16
        val rounds = 2_000
        val barrier = CyclicBarrier(threads)
        val pool = Executors.newFixedThreadPool(threads)
        val labeled = hush.labeledCounter("settings.switched")
        val wrong = ConcurrentLinkedQueue<String>()
        val futures = (0 until threads).map { n ->
            pool.submit<Int> {
                val private = n % 2 == 1
                val mine = hush.openTab(private)
                barrier.await(30, TimeUnit.SECONDS)
                var thrown = 0
                repeat(rounds) { i ->
                    mine.count(bookmarks)
                    mine.pageLoaded("https://wikipedia.org/wiki/$i", i.toLong())
                    // The exact class each bad call must throw; null: none.
                    // A private tab's lone-surrogate URL and invalid label
                    // are dropped at the gate before they are looked at;
                    // a forged tab and a negative count are refused first.
                    val (expected, call) = when (i % 4) {
                        0 -> (if (private) null else IllegalArgumentException::class.java) to
                            { mine.pageLoaded("https://x/\uD800", 1) }
                        1 -> (if (private) null else IllegalArgumentException::class.java) to
                            { mine.count(labeled, "nope") }
                        2 -> IllegalStateException::class.java to
                            { NativeBridge.add(hush.handle, -7, bookmarks.index, 1) }
                        else -> IllegalArgumentException::class.java to
                            { mine.count(bookmarks, -1) }
                    }
                    val actual = try {
                        call()
                        null
                    } catch (e: Throwable) {
                        e
                    }
                    if (actual != null) thrown++
                    if (actual?.javaClass != expected) {
                        wrong += "thread $n (${if (private) "private" else "normal"}), call ${i % 4}: " +
                            "expected ${expected?.simpleName ?: "no exception"}, got ${actual ?: "none"}"
                    }
                }
                mine.close()
                thrown
            }
        }
        val thrown = try {
            futures.sumOf { it.get(120, TimeUnit.SECONDS) }
        } finally {
            pool.shutdownNow()
        }
        assertEquals(emptyList(), wrong.take(5), "${wrong.size} calls threw the wrong exception or none")
        val privateGateCalls = 2 * (threads / 2) * (rounds / 4)
        assertEquals(threads * rounds - privateGateCalls, thrown)
        // Every valid call of the normal tabs counted, none of the private ones.
        val report = hush.pendingReport()
        assertEquals(MetricValue.Count((threads / 2L) * rounds), report.metrics["bookmarks.added"])
        assertEquals(null, report.metrics["settings.switched"], "no invalid label was counted")

        // Afterwards the library works as before: valid calls take effect.
        val after = hush.openTab(private = false)
        after.count(bookmarks)
        after.count(labeled, "dark_mode_on")
        after.pageLoaded("https://www.bbc.co.uk/news", 300)
        val now = hush.pendingReport()
        assertEquals(MetricValue.Count((threads / 2L) * rounds + 1), now.metrics["bookmarks.added"])
        assertEquals(MetricValue.Labeled(mapOf("dark_mode_on" to 1L)), now.metrics["settings.switched"])
        val domains = assertIs<MetricValue.Domains>(now.metrics["page.domain"]).counts
        assertEquals(1L, domains["bbc.com"], "bbc.co.uk is folded into bbc.com")
        after.close()
    }
}

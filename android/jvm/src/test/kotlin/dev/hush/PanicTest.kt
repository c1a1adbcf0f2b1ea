package dev.hush

import dev.hush.internal.NativeBridge
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse

/** A panic inside a native method becomes an exception, not an abort (test-hooks build). */
class PanicTest {
    @TempDir
    lateinit var dir: File

    @Test
    fun `a panic becomes a HushException without the panic message, and the library keeps working`() {
        Hush.start(TestSupport.config(dir)).use { hush ->
            val tab = hush.openTab(private = false)
            repeat(3) {
                val e = assertFailsWith<HushException> { NativeBridge.testPanic("https://panic-canary.example/secret") }
                assertFalse(e.message!!.contains("canary"), e.message)
            }
            tab.count(hush.counter("bookmarks.added"))
            assertEquals(MetricValue.Count(1), hush.pendingReport().metrics["bookmarks.added"])
        }
    }

    /**
     * A panic while an instance's lock is held (a bug in the core, half-way
     * through a change) poisons that lock (rust/jni/src/registry.rs). What
     * happens then, as the code does it today:
     * - the panic itself is a [HushException], as any panic;
     * - every later call on that instance is an [IllegalStateException] that
     *   says so ("stopped after an internal error"): the core is not used
     *   again from a possibly inconsistent state, and nothing crashes;
     * - [Hush.close] frees the native core and the data directory, but throws
     *   that same exception, because its final checkpoint is refused: what
     *   was recorded since the last checkpoint is lost (fail closed);
     * - a new instance on the same directory starts from the last checkpoint;
     *   other instances never notice.
     */
    @Test
    fun `a panic while the core is locked stops that instance with a clear exception, the others keep working`() {
        val mainDir = File(dir, "main")
        val other = Hush.start(TestSupport.config(File(dir, "other")))
        val hush = Hush.start(TestSupport.config(mainDir))
        val bookmarks = hush.counter("bookmarks.added")
        val tab = hush.openTab(private = false)
        tab.count(bookmarks)
        hush.flush() // checkpointed: 1
        tab.count(bookmarks) // in memory only

        val panic = assertFailsWith<HushException> { NativeBridge.testPanicHoldingLock(hush.handle) }
        assertEquals(HushException::class.java, panic.javaClass)
        assertFalse(panic.message!!.contains("deliberate"), panic.message)

        val calls: List<Pair<String, () -> Unit>> = listOf(
            "count" to { tab.count(bookmarks) },
            "pageLoaded" to { tab.pageLoaded("https://en.wikipedia.org/wiki/Panic", 100) },
            "openTab" to { hush.openTab(private = false) },
            "closeTab" to { tab.close() },
            "counter" to { hush.counter("bookmarks.added") },
            "pendingReport" to { hush.pendingReport() },
            "sentReports" to { hush.sentReports() },
            "setEnhancedIncognito" to { hush.setEnhancedIncognito(false) },
            "nextUpload" to { NativeBridge.nextUpload(hush.handle) },
            "flush" to { hush.flush() },
        )
        repeat(2) {
            for ((name, call) in calls) {
                val e = assertFailsWith<IllegalStateException>(name) { call() }
                assertEquals(IllegalStateException::class.java, e.javaClass, name)
                assertContains(e.message!!, "stopped after an internal error", message = name)
            }
        }

        // Other instances are untouched.
        other.openTab(private = false).count(other.counter("bookmarks.added"))
        assertEquals(MetricValue.Count(1), other.pendingReport().metrics["bookmarks.added"])

        // close() reports the refused final checkpoint, and frees the core anyway.
        val closing = assertFailsWith<IllegalStateException> { hush.close() }
        assertContains(closing.message!!, "stopped after an internal error")
        val closed = assertFailsWith<IllegalStateException> { NativeBridge.pendingReport(hush.handle) }
        assertContains(closed.message!!, "closed or unknown")

        // Starting again on the same directory works, from the last checkpoint.
        Hush.start(TestSupport.config(mainDir)).use { again ->
            assertEquals(MetricValue.Count(1), again.pendingReport().metrics["bookmarks.added"])
            again.openTab(private = false).count(again.counter("bookmarks.added"))
            assertEquals(MetricValue.Count(2), again.pendingReport().metrics["bookmarks.added"])
        }
        other.openTab(private = false).count(other.counter("bookmarks.added"))
        assertEquals(MetricValue.Count(2), other.pendingReport().metrics["bookmarks.added"])
        other.close()
    }
}

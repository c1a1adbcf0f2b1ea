package dev.hush

import dev.hush.internal.NativeBridge
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
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
}

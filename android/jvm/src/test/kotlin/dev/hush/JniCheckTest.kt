package dev.hush

import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/**
 * 100,000 calls of every kind (successes and exceptions) in a JVM run with
 * -Xcheck:jni: the JVM reports local-reference overflow, calls with a pending
 * exception and other JNI misuse as warnings on its output; there must be none.
 */
class JniCheckTest {
    @TempDir
    lateinit var dir: File

    @Test
    fun `100k calls under -Xcheck-jni leave no JNI warning`() {
        val result = ForkedJvm.run(JniStressMain::class.java.name, listOf(dir.path, "100000"))
        val warnings = result.output.lines().filter { line ->
            line.contains("WARNING", ignoreCase = true) || line.contains("FATAL") || line.contains("JNI ", ignoreCase = false)
        }
        assertEquals(0, result.exitCode, result.output.take(4000))
        assertTrue(result.output.contains("stress done: 100000 rounds"), result.output.take(4000))
        assertEquals(emptyList(), warnings, result.output.take(4000))
    }
}

/** The forked JVM's work for [JniCheckTest]. */
object JniStressMain {
    @JvmStatic
    fun main(args: Array<String>) {
        val rounds = args[1].toInt()
        Hush.start(TestSupport.config(File(args[0]))).use { hush ->
            val tab = hush.openTab(private = false)
            val private = hush.openTab(private = true)
            val counter = hush.counter("bookmarks.added")
            val labeled = hush.labeledCounter("settings.switched")
            val histogram = hush.histogram("page.load_time_ms")
            var thrown = 0
            for (i in 0 until rounds) {
                when (i % 10) {
                    0 -> tab.count(counter)
                    1 -> tab.pageLoaded("https://wikipedia.org/wiki/$i", 100)
                    2 -> private.pageLoaded("https://example.com/$i", 100)
                    3 -> tab.count(labeled, "dark_mode_on")
                    4 -> tab.accumulate(histogram, i.toLong())
                    5 -> tab.searched("https://duckduckgo.com/?q=$i")
                    6 -> hush.pendingReport()
                    7 -> try { tab.pageLoaded("https://x/\uD800", 1) } catch (e: IllegalArgumentException) { thrown++ }
                    8 -> try { dev.hush.internal.NativeBridge.add(hush.handle, -1, counter.index, 1) } catch (e: IllegalStateException) { thrown++ }
                    else -> dev.hush.internal.NativeBridge.nextUpload(hush.handle)
                }
            }
            check(thrown == rounds / 5) { "expected ${rounds / 5} exceptions, got $thrown" }
        }
        println("stress done: $rounds rounds")
    }
}

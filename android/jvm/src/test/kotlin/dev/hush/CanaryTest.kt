package dev.hush

import dev.hush.internal.NativeBridge
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue

/**
 * Canary strings planted in URLs, search queries, labels and private-tab
 * calls never appear in any file under the data dir, in any log line (native
 * log at trace level, JVM output) or in any exception message (P5, P6, P11).
 */
class CanaryTest {
    @TempDir
    lateinit var dir: File

    @Test
    fun `canaries never reach disk, logs or exception messages`() {
        val canary = "zq" + System.nanoTime().toString(36) + "canary"
        val result = ForkedJvm.run(CanaryMain::class.java.name, listOf(dir.path, canary), env = mapOf("RUST_LOG" to "trace"))
        assertEquals(0, result.exitCode, result.output.take(4000))
        assertTrue(result.output.contains("canary run done"), result.output.take(4000))
        assertTrue(result.output.contains("exception:"), "exception messages were printed, so the check can fail")
        assertFalse(result.output.contains(canary, ignoreCase = true), "canary in output:\n" + result.output.take(4000))

        val files = dir.walkTopDown().filter { it.isFile }.toList()
        assertTrue(files.isNotEmpty(), "a checkpoint was written, so the check can fail")
        val needles = listOf(Charsets.UTF_8, Charsets.UTF_16LE, Charsets.UTF_16BE).map { canary.toByteArray(it) }
        for (file in files) {
            val bytes = file.readBytes()
            for (needle in needles) assertFalse(indexOf(bytes, needle) >= 0, "canary in ${file.name}")
        }
    }

    private fun indexOf(haystack: ByteArray, needle: ByteArray): Int {
        outer@ for (i in 0..haystack.size - needle.size) {
            for (j in needle.indices) if (haystack[i + j] != needle[j]) continue@outer
            return i
        }
        return -1
    }
}

/** The forked JVM's work for [CanaryTest]: every call it can make with the canary in it. */
object CanaryMain {
    @JvmStatic
    fun main(args: Array<String>) {
        val dir = File(args[0])
        val c = args[1]
        Hush.start(TestSupport.config(dir, enhancedIncognito = false)).use { hush ->
            val normal = hush.openTab(private = false)
            val private = hush.openTab(private = true)
            val labeled = hush.labeledCounter("settings.switched")
            val urls = listOf(
                "https://$c.example.com/path",
                "https://en.wikipedia.org/wiki/$c?q=$c#$c",
                "https://user:$c@wikipedia.org/",
                "http://192.168.1.1/$c",
                "ftp://$c.org/",
                "https://$c/",
                "$c",
            )
            for (tab in listOf(normal, private)) {
                for (url in urls) {
                    tab.pageLoaded(url, 300)
                    tab.searched("https://www.google.com/search?q=$c")
                    tab.searched(url)
                }
                attempt { tab.pageLoaded("https://$c.example.com/\uD800", 1) }
                attempt { tab.searched("https://google.com/?q=$c" + "x".repeat(3 * 1024 * 1024)) }
                attempt { tab.count(labeled, c) }
                attempt { tab.count(labeled, "$c\uDC00") }
                tab.count(hush.counter("tabs.private_opened"))
            }
            attempt { hush.counter(c) }
            attempt { hush.labeledCounter("$c.metric") }
            attempt { NativeBridge.testPanic("https://$c.example/") }
            attempt { NativeBridge.pageLoaded(hush.handle, 12345, "https://$c.example/", 1) }
            private.close()
            attempt { private.pageLoaded("https://$c.example/", 1) }
            hush.flush()
            println(hush.pendingReport().describe())
        }
        println("canary run done")
    }

    private fun attempt(call: () -> Unit) {
        try {
            call()
            println("no exception")
        } catch (e: RuntimeException) {
            println("exception: ${e.javaClass.name}: ${e.message}")
        }
    }
}

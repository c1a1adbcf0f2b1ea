package dev.hush

import dev.hush.internal.NativeBridge
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.util.concurrent.TimeUnit
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import kotlin.test.fail

/**
 * Kotlin → JNI → core → Kotlin uploader (HttpURLConnection) → `hush serve` on
 * loopback → `hush query`: the totals the collector stores are the ones
 * recorded, exactly once, and nothing from the URLs or the private tab.
 * The `hush` binary is the one cargo built next to the native library.
 */
class CollectorEndToEndTest {
    @TempDir
    lateinit var dir: File

    private val hush: String = File(System.getProperty("hush.native.dir"), "hush").also {
        if (!it.canExecute()) fail("no hush binary at $it: run `cargo build -p hush-cli` (scripts/test does)")
    }.path

    private fun run(vararg args: String): String {
        val p = ProcessBuilder(hush, *args).redirectError(ProcessBuilder.Redirect.INHERIT).start()
        val out = p.inputStream.readAllBytes().decodeToString()
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "hush ${args.first()} timed out")
        assertEquals(0, p.exitValue(), "hush ${args.joinToString(" ")}")
        return out
    }

    @Test
    fun `totals recorded through the Kotlin API arrive at hush serve exactly once`() {
        TestSupport.awayFromUtcMidnight()
        run("keygen", "--out", "$dir/keys")
        val serve = ProcessBuilder(
            hush, "serve", "--key", "$dir/keys", "--db", "$dir/collector.db", "--listen", "127.0.0.1:0",
        ).redirectError(File(dir, "serve.err")).start()
        val day = 86_400_000L
        var moved = 0L
        try {
            val listening = serve.inputStream.bufferedReader().readLine() ?: fail("hush serve did not start")
            val gateway = "http://" + listening.removePrefix("listening on ") + "/gateway"
            val config = TestSupport.config(File(dir, "app"), uploader = HttpUrlConnectionUploader(), relay = null)
            val pinned = HushConfig(
                config.dataDir, File(dir, "keys/ohttp-keys").readBytes(), gateway, null, config.environment,
                gateway.removeSuffix("/gateway"), collectionEnabled = true, uploader = config.uploader,
                directToCollector = true,
            )
            Hush.start(pinned).use { h ->
                val bookmarks = h.counter("bookmarks.added")
                val tab = h.openTab(private = false)
                tab.count(bookmarks, 3)
                tab.pageLoaded("https://www.wikipedia.org/wiki/e2e-canary-path?q=e2e-canary-query", 800)
                tab.searched("https://www.google.com/search?q=e2e-canary-search")
                val incognito = h.openTab(private = true)
                incognito.pageLoaded("https://www.youtube.com/watch?v=e2e-canary-private", 100)
                incognito.count(bookmarks, 100)
                NativeBridge.testAdvanceClock(day).also { moved += day }
                h.flush() // seals the day
                NativeBridge.testAdvanceClock(7 * 3_600_000L).also { moved += 7 * 3_600_000L }
                h.flush() // delivers it
                h.flush() // nothing left: nothing re-sent
                val sent = h.sentReports()
                assertEquals(1, sent.size, "$sent")
                assertEquals(SentReport.Outcome.DELIVERED, sent.single().outcome)
                assertTrue(sent.single().describe().startsWith("The usage report for ${sent.single().day} (UTC) was sent"))
            }
        } finally {
            NativeBridge.testAdvanceClock(-moved)
            serve.destroy() // SIGTERM: hush serve shuts down cleanly
            assertTrue(serve.waitFor(30, TimeUnit.SECONDS))
        }
        val query = run("query", "--db", "$dir/collector.db", "--min-reports", "1")
        val days = Regex("\"day\":\\s*\"").findAll(query).count()
        assertEquals(1, days, query)
        assertTrue(Regex("\"reports\":\\s*1\\b").containsMatchIn(query), query)
        assertTrue(Regex("\"bookmarks.added\":\\s*\\{[^}]*\"sum\":\\s*3\\b").containsMatchIn(query), query)
        assertTrue(query.contains("\"wikipedia.org\""), query)
        assertTrue(query.contains("\"google\""), query)
        assertFalse(query.contains("youtube"), "the private tab's visit reached the collector: $query")
        for (f in dir.walkTopDown().filter { it.isFile }) {
            assertFalse(f.readBytes().decodeToString().contains("e2e-canary"), "a canary is in $f")
        }
    }
}

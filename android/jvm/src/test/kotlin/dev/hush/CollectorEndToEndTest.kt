package dev.hush

import dev.hush.internal.NativeBridge
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.util.concurrent.TimeUnit
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlin.test.fail

/**
 * Kotlin → JNI → core → one DAP report per metric → Kotlin uploader
 * (HttpURLConnection) → `hush serve` (the leader's OHTTP gateway) → `hush
 * leader` ⇄ `hush helper` → `hush collect`: the totals the collector
 * reconstructs are the ones recorded, each report counted once, and nothing
 * of the URLs or the private tab reaches any server. The `hush` binary is
 * the one cargo built next to the native library. The deployment's minimum
 * batch size is 1 here, so one device's day can be collected at all: the
 * demo and the DAP tests show a batch below the minimum yielding nothing.
 */
class CollectorEndToEndTest {
    @TempDir
    lateinit var dir: File

    private val hush: String = File(System.getProperty("hush.native.dir"), "hush").also {
        if (!it.canExecute()) fail("no hush binary at $it: run `cargo build -p hush-cli` (scripts/test does)")
    }.path

    private val servers = mutableListOf<Process>()
    private var moved = 0L

    @AfterEach
    fun stop() {
        NativeBridge.testAdvanceClock(-moved)
        for (p in servers.reversed()) {
            p.destroy() // SIGTERM: each shuts down cleanly
            assertTrue(p.waitFor(30, TimeUnit.SECONDS))
        }
    }

    private fun run(vararg args: String): String {
        val p = ProcessBuilder(hush, *args).redirectError(File(dir, "${args.first()}.err")).start()
        val out = p.inputStream.readAllBytes().decodeToString()
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "hush ${args.first()} timed out")
        assertEquals(0, p.exitValue(), "hush ${args.joinToString(" ")}: ${File(dir, "${args.first()}.err").readText()}")
        return out
    }

    /** Starts a server; returns its address once it prints "listening on ADDR". */
    private fun start(name: String, vararg args: String): String {
        val p = ProcessBuilder(hush, *args).redirectError(File(dir, "$name.err")).start()
        servers += p
        val line = p.inputStream.bufferedReader().readLine() ?: fail("hush $name did not start: ${File(dir, "$name.err").readText()}")
        return line.removePrefix("listening on ")
    }

    private fun advance(ms: Long) {
        NativeBridge.testAdvanceClock(ms)
        moved += ms
    }

    @Test
    fun `totals recorded through the Kotlin API are reconstructed by hush collect, each report once`() {
        val dep = File(dir, "dep")
        run("dap-setup", "--out", dep.path, "--leader-url", "https://leader.example/dap/",
            "--helper-url", "https://helper.example/", "--min-batch-size", "1")
        val helper = start("helper", "helper", "--config", "$dep/helper/aggregator.json",
            "--db", "$dir/helper.db", "--listen", "127.0.0.1:0")
        val leader = start("leader", "leader", "--config", "$dep/leader/aggregator.json",
            "--db", "$dir/leader.db", "--listen", "127.0.0.1:0", "--helper-url", "http://$helper/",
            "--aggregation-interval-ms", "200")
        val gateway = start("gateway", "serve", "--mode", "gateway", "--key", "$dep/leader/ohttp",
            "--target-url", "http://$leader", "--listen", "127.0.0.1:0")

        // Day 1 is the day before yesterday (UTC), 08:00: a day that is over
        // by the servers' clock, so it can be collected.
        val day = 86_400_000L
        val now = System.currentTimeMillis()
        val dayOne = now - Math.floorMod(now, day) - 2 * day
        advance(dayOne + 8 * 3_600_000L - now)
        val config = HushConfig(
            dataDir = File(dir, "app"),
            keyConfig = File(dep, "client/ohttp-keys").readBytes(),
            gatewayUrl = "http://$gateway/gateway",
            relayUrl = null,
            environment = TestSupport.ENV,
            taskConfig = File(dep, "client/dap-tasks.json").readBytes(),
            collectionEnabled = true,
            uploader = HttpUrlConnectionUploader(),
            directToCollector = true,
        )
        Hush.start(config).use { h ->
            val bookmarks = h.counter("bookmarks.added")
            val tab = h.openTab(private = false)
            tab.count(bookmarks, 3)
            tab.pageLoaded("https://www.wikipedia.org/wiki/e2e-canary-path?q=e2e-canary-query", 800)
            tab.searched("https://www.google.com/search?q=e2e-canary-search")
            val incognito = h.openTab(private = true)
            incognito.pageLoaded("https://www.youtube.com/watch?v=e2e-canary-private", 100)
            incognito.count(bookmarks, 100)
            // Five past midnight: the day is sealed, then each report leaves
            // at its own time; the test's clock jumps from one to the next.
            advance(16 * 3_600_000L + 5 * 60_000L)
            var wait = h.flush()
            var rounds = 0
            while (wait != null) {
                advance(wait + 1)
                wait = h.flush()
                check(++rounds < 100) { "uploads did not finish" }
            }
            assertNull(h.flush(), "nothing left: nothing is sent again")
            assertEquals(emptyList(), h.pendingUploads())
            val sent = h.sentReports().single()
            assertEquals(SentReport.Outcome.DELIVERED, sent.outcome)
            assertEquals(15, sent.reports)
            assertTrue(sent.describe().startsWith("15 usage reports for ${sent.day} (UTC) were sent"), sent.describe())
        }

        val out = run("collect", "--config", "$dep/collector/collector.json", "--leader-url", "http://$leader/dap/",
            "--start", java.time.Instant.ofEpochMilli(dayOne).toString().substring(0, 10), "--days", "1",
            "--timeout-secs", "300")
        val lines = out.lines().filter { it.isNotBlank() }
        assertEquals(15, lines.size, out)
        assertTrue(lines.all { Regex("\"report_count\":1\\b").containsMatchIn(it) }, "each task has exactly one report: $out")
        fun line(task: String) = lines.single { it.contains("\"task\":\"$task\"") }
        assertTrue(line("bookmarks.added").contains("\"total\":3"), out)
        assertTrue(line("page.domain").contains("{\"label\":\"wikipedia.org\",\"total\":1}"), out)
        assertTrue(line("search.engine").contains("{\"label\":\"google\",\"total\":1}"), out)
        assertTrue(line("page.domain").contains("{\"label\":\"youtube.com\",\"total\":0}"), "the private tab's visit was counted: $out")
        for (f in dir.walkTopDown().filter { it.isFile }) {
            assertFalse(f.readBytes().decodeToString().contains("e2e-canary"), "a canary is in $f")
        }
        for (f in listOf("leader.db", "helper.db", "leader.err", "helper.err", "gateway.err")) {
            val text = File(dir, f).readBytes().decodeToString()
            for (word in listOf("wikipedia", "google", "youtube")) {
                assertFalse(text.contains(word), "'$word' is in $f")
            }
        }
    }
}

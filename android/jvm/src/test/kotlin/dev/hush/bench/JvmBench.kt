package dev.hush.bench

import dev.hush.AppEnvironment
import dev.hush.Hush
import dev.hush.HushConfig
import dev.hush.TestSupport
import dev.hush.Uploader
import java.io.File
import java.nio.file.Files

/**
 * Warm-up-then-measure harness for the Kotlin → JNI → core recording path,
 * run by `scripts/bench jvm` against the release library. Each case runs in
 * batches after a warm-up long enough for the JIT; the per-call time of a
 * batch is its wall time over its calls, and the median over batches is
 * reported (robust to a GC or a background checkpoint in one batch).
 *
 * Usage: JvmBench <scratch dir> <task configuration file> (the release
 * library has no test hook to make one: scripts/bench writes one with
 * `hush dap-setup`).
 */
object JvmBench {
    private val env = AppEnvironment("14.2.7", 34, "en-US")
    private val noUploads = Uploader { error("no uploads in the benchmark") }

    private lateinit var tasks: ByteArray

    private fun config(dir: File) = HushConfig(
        dataDir = dir,
        keyConfig = TestSupport.KEYS,
        gatewayUrl = "https://collector.example/gateway",
        relayUrl = "https://relay.example/relay",
        taskConfig = tasks,
        environment = env,
        collectionEnabled = true,
        uploader = noUploads,
    )

    private val urls = arrayOf(
        "https://en.wikipedia.org/wiki/Oblivious_HTTP?oldid=1234567",
        "https://www.google.com/search?q=weather+tomorrow&client=browser",
        "https://news.example.com/2026/11/21/some-long-article-title-with-words.html",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
        "https://www.amazon.com/dp/B000000000/ref=something?th=1&psc=1",
        "https://github.com/rust-lang/rust/issues/12345#issuecomment-987654321",
        "https://docs.example.org/guide/getting-started/installation/",
        "https://www.example.co.uk/",
    )

    @JvmStatic
    fun main(args: Array<String>) {
        val scratch = File(args.getOrElse(0) { Files.createTempDirectory("hush-bench").toString() })
        tasks = File(args.getOrElse(1) { error("usage: JvmBench <scratch dir> <task configuration file>") }).readBytes()
        val results = mutableListOf<String>()
        Hush.start(config(File(scratch, "recording"))).use { hush ->
            val tab = hush.openTab(private = false)
            val privateTab = hush.openTab(private = true)
            val counter = hush.counter("bookmarks.added")
            results += measure("counter increment (Kotlin -> JNI)", targetNs = 200.0) { n ->
                repeat(n) { tab.count(counter) }
            }
            results += measure("page load with URL", targetNs = 2_000.0) { n ->
                for (i in 0 until n) tab.pageLoaded(urls[i and 7], 300)
            }
            results += measure("page load with URL, private tab", targetNs = 2_000.0) { n ->
                for (i in 0 until n) privateTab.pageLoaded(urls[i and 7], 300)
            }
        }
        results += measureStart(File(scratch, "restart"))
        println()
        results.forEach(::println)
    }

    /** Median per-call ns over batches after a timed warm-up. */
    private fun measure(name: String, targetNs: Double, body: (Int) -> Unit): String {
        val batch = 20_000
        val warmUntil = System.nanoTime() + 3_000_000_000L
        while (System.nanoTime() < warmUntil) body(batch)
        val perCall = DoubleArray(40) {
            val t0 = System.nanoTime()
            body(batch)
            (System.nanoTime() - t0).toDouble() / batch
        }.sorted()
        val median = perCall[perCall.size / 2]
        val p90 = perCall[perCall.size * 9 / 10]
        val verdict = if (median <= targetNs) "ok" else "OVER TARGET"
        return "jvm  %-36s median %8.1f ns  p90 %8.1f ns  min %8.1f ns  (target <= %.0f ns: %s)"
            .format(name, median, p90, perCall.first(), targetNs, verdict)
    }

    /** Hush.start on a directory that holds a previous run's state. */
    private fun measureStart(dir: File): String {
        Hush.start(config(dir)).use { hush ->
            val tab = hush.openTab(private = false)
            for (name in listOf("bookmarks.added", "downloads.started", "reader_mode.used", "tabs.opened")) {
                tab.count(hush.counter(name), 7)
            }
            for (u in urls) tab.pageLoaded(u, 500)
        }
        check(dir.walkTopDown().any { it.isFile }) { "no state was saved" }
        repeat(5) { Hush.start(config(dir)).close() } // warm-up
        val ms = DoubleArray(30) {
            val t0 = System.nanoTime()
            val hush = Hush.start(config(dir))
            val elapsed = (System.nanoTime() - t0) / 1e6
            hush.close()
            elapsed
        }.sorted()
        val median = ms[ms.size / 2]
        val verdict = if (median <= 20.0) "ok" else "OVER TARGET"
        return "jvm  %-36s median %8.2f ms  p90 %8.2f ms  (target <= 20 ms: %s)"
            .format("Hush.start with existing state", median, ms[ms.size * 9 / 10], verdict)
    }
}

package dev.hush.android.test

import android.content.Context
import android.content.SharedPreferences
import androidx.test.platform.app.InstrumentationRegistry
import dev.hush.AppEnvironment
import dev.hush.Hush
import dev.hush.HushConfig
import dev.hush.Tab
import dev.hush.Uploader
import java.io.File

/**
 * The device tests' fixtures: the same values and calls as the host tests'
 * TestSupport and GateTest (android/jvm/src/test), which cannot be compiled
 * in here: their backquoted names with spaces need DEX 040 (API 30+) and
 * they are JUnit 5 tests.
 */
object Fixtures {
    /** RFC 9458 Appendix A's key configuration, as an `application/ohttp-keys` list. */
    val KEYS: ByteArray = (
        "002d01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003"
        ).chunked(2).map { it.toInt(16).toByte() }.toByteArray()
    const val GATEWAY = "https://collector.example/gateway"
    const val RELAY = "https://relay.example/relay"
    /**
     * A DAP task configuration whose aggregator keys nobody holds, made by
     * the debug library's test hook: for tests that never upload to real
     * aggregators.
     */
    val TASKS: ByteArray by lazy { dev.hush.internal.NativeBridge.testTaskConfig(null) }
    val ENV = AppEnvironment("14.2.7", 34, "de-AT")

    /** Fails the test if the core hands out an upload. */
    val NO_UPLOADS = Uploader { throw AssertionError("no upload expected") }

    val context: Context get() = InstrumentationRegistry.getInstrumentation().targetContext

    /** An empty directory of its own for one test. */
    fun freshDir(name: String): File =
        File(context.cacheDir, "hush-test/$name").apply { deleteRecursively(); mkdirs() }

    /** A preferences file of its own for one test, empty. */
    fun freshPreferences(name: String): SharedPreferences =
        context.getSharedPreferences("hush-test-$name", Context.MODE_PRIVATE).also { it.edit().clear().commit() }

    fun config(
        dir: File,
        collection: Boolean? = true,
        enhancedIncognito: Boolean = true,
        uploader: Uploader = NO_UPLOADS,
        gateway: String = GATEWAY,
        relay: String? = RELAY,
        checkpointDelayMs: Long = 30_000,
    ) = HushConfig(
        dir, KEYS, gateway, relay, ENV, TASKS, collectionEnabled = collection, enhancedIncognito = enhancedIncognito,
        uploader = uploader, checkpointDelayMs = checkpointDelayMs, directToCollector = relay == null,
    )

    /** Every file under [dir] with its bytes. */
    fun snapshot(dir: File): Map<String, List<Byte>> =
        dir.walkTopDown().filter { it.isFile }.associate { it.relativeTo(dir).path to it.readBytes().toList() }

    /** Every recording call a tab has, with browsing-looking arguments (TestSupport's). */
    fun recordEverything(hush: Hush, tab: Tab) {
        tab.pageLoaded("https://en.wikipedia.org/wiki/Secret?q=1", 420)
        tab.searched("https://www.google.com/search?q=private+question")
        tab.count(hush.counter("bookmarks.added"))
        tab.count(hush.counter("tabs.private_opened"))
        tab.count(hush.labeledCounter("settings.switched"), "dark_mode_on")
        tab.set(hush.boolean("settings.search_suggestions_enabled"), true)
        tab.accumulate(hush.histogram("page.load_time_ms"), 1234)
    }
}

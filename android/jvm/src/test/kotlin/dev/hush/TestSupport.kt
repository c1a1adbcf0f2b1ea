package dev.hush

import java.io.File
import java.util.concurrent.TimeUnit
import kotlin.test.fail

/** Shared fixtures for the JVM tests: all run through the real native library. */
object TestSupport {
    /** RFC 9458 Appendix A's key configuration, as an `application/ohttp-keys` list. */
    val KEYS: ByteArray = (
        "002d01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003"
        ).chunked(2).map { it.toInt(16).toByte() }.toByteArray()
    const val GATEWAY = "https://collector.example/gateway"
    const val RELAY = "https://relay.example/relay"
    /**
     * A DAP task configuration for the shipped schema whose aggregator keys
     * nobody holds (the test-hooks library makes it): for tests that never
     * upload to real aggregators.
     */
    val TASKS: ByteArray by lazy { dev.hush.internal.NativeBridge.testTaskConfig(null) }

    /** The same for another schema. */
    fun tasksFor(schemaJson: String): ByteArray = dev.hush.internal.NativeBridge.testTaskConfig(schemaJson)
    val ENV = AppEnvironment("14.2.7", 34, "de-AT")

    /** Fails the test if the core ever hands out an upload. */
    val NO_UPLOADS = Uploader { fail("no upload expected") }

    fun config(
        dir: File,
        collection: Boolean? = true,
        enhancedIncognito: Boolean = true,
        uploader: Uploader = NO_UPLOADS,
        gateway: String = GATEWAY,
        relay: String? = RELAY,
        checkpointDelayMs: Long = 30_000,
        tasks: ByteArray = TASKS,
        directToCollector: Boolean = relay == null,
    ) = HushConfig(
        dataDir = dir,
        keyConfig = KEYS,
        gatewayUrl = gateway,
        relayUrl = relay,
        environment = ENV,
        taskConfig = tasks,
        directToCollector = directToCollector,
        collectionEnabled = collection,
        enhancedIncognito = enhancedIncognito,
        uploader = uploader,
        checkpointDelayMs = checkpointDelayMs,
    )

    /**
     * Waits, if the wall clock is within [marginMs] of 00:00 UTC, until just
     * after it. The test clock follows the wall clock, so a run that expects
     * one day window must not start on one UTC day and end on the next.
     */
    fun awayFromUtcMidnight(marginMs: Long = 60_000) {
        val day = 86_400_000L
        val untilMidnight = day - Math.floorMod(System.currentTimeMillis(), day)
        if (untilMidnight < marginMs) Thread.sleep(untilMidnight + 1_000)
    }

    /** Every recording call a tab has, with browsing-looking arguments. */
    fun recordEverything(hush: Hush, tab: Tab) {
        tab.pageLoaded("https://en.wikipedia.org/wiki/Secret?q=1", 420)
        tab.searched("https://www.google.com/search?q=private+question")
        tab.count(hush.counter("bookmarks.added"))
        tab.count(hush.counter("tabs.private_opened"))
        tab.count(hush.labeledCounter("settings.switched"), "dark_mode_on")
        tab.set(hush.boolean("settings.search_suggestions_enabled"), true)
        tab.accumulate(hush.histogram("page.load_time_ms"), 1234)
    }

    /** Every file under [dir] with its bytes. */
    fun snapshot(dir: File): Map<String, List<Byte>> =
        dir.walkTopDown().filter { it.isFile }.associate { it.relativeTo(dir).path to it.readBytes().toList() }
}

/** Runs a main class of the test class path in a fresh JVM and collects its output. */
object ForkedJvm {
    class Result(val exitCode: Int, val output: String)

    fun run(mainClass: String, args: List<String>, env: Map<String, String> = emptyMap(), timeoutSeconds: Long = 240): Result {
        val java = File(System.getProperty("java.home"), "bin/java").path
        val command = buildList {
            add(java)
            add("-Xcheck:jni")
            add("-Djava.library.path=" + System.getProperty("java.library.path"))
            System.getProperty("hush.native.lib")?.let { add("-Dhush.native.lib=$it") }
            add("-cp")
            add(System.getProperty("java.class.path"))
            add(mainClass)
            addAll(args)
        }
        val process = ProcessBuilder(command).redirectErrorStream(true).apply { environment().putAll(env) }.start()
        val output = StringBuilder()
        val reader = Thread { output.append(process.inputStream.bufferedReader().readText()) }.apply { start() }
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly()
            fail("forked JVM $mainClass did not finish in $timeoutSeconds s")
        }
        reader.join()
        return Result(process.exitValue(), output.toString())
    }
}

package dev.hush

import dev.hush.internal.NativeBridge
import dev.hush.internal.NativeUploadTask
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

/**
 * 100,000 calls of every kind (successes and exceptions) in a JVM run with
 * -Xcheck:jni: the JVM reports local-reference overflow, calls with a pending
 * exception and other JNI misuse as warnings on its output; there must be none.
 * The calls include every one that builds Java objects on the native side:
 * upload tasks handed out (a NativeUploadTask with three strings and a byte
 * array) and finished, the pending report, the sent-report history and the
 * schema (strings).
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
        // Every third upload round forces an upload task out of the core
        // (the forked JVM fails if one does not).
        val uploads = assertNotNull(Regex("""(\d+) upload tasks""").find(result.output), result.output.take(4000))
        assertTrue(uploads.groupValues[1].toInt() >= 100_000 / 30, result.output.take(4000))
    }
}

/** The forked JVM's work for [JniCheckTest]. */
object JniStressMain {
    private const val HOUR_MS = 3_600_000L

    @JvmStatic
    fun main(args: Array<String>) {
        val rounds = args[1].toInt()
        // The background thread never runs during the loop (its first
        // checkpoint is an hour away): the loop drives uploads itself.
        val config = TestSupport.config(
            File(args[0]),
            uploader = { UploadResponse.TransportError },
            checkpointDelayMs = HOUR_MS,
        )
        var uploads = 0
        var waits = 0
        var movedMs = 0L
        Hush.start(config).use { hush ->
            val h = hush.handle
            val tab = hush.openTab(private = false)
            val private = hush.openTab(private = true)
            val counter = hush.counter("bookmarks.added")
            val labeled = hush.labeledCounter("settings.switched")
            val histogram = hush.histogram("page.load_time_ms")
            val answer = ByteArray(16) { it.toByte() }

            fun advance(ms: Long) {
                NativeBridge.testAdvanceClock(ms)
                movedMs += ms
            }

            /**
             * Asks the core for its next upload task. With [force], moves the
             * test clock past a wait (backoff, upload delay, hourly quota) or
             * to the next day plus a checkpoint (which seals the closed day)
             * until it hands out an upload. An upload is always finished,
             * with a failure the core retries: the report stays until its
             * day is too old for the collector (or the outbox is full).
             */
            fun uploadRound(force: Boolean) {
                var task = NativeBridge.nextUpload(h)
                var tries = 0
                while (force && task.kind != NativeUploadTask.UPLOAD && tries++ < 4) {
                    if (task.kind == NativeUploadTask.WAIT) {
                        advance(task.waitMs)
                    } else {
                        advance(24 * HOUR_MS)
                        NativeBridge.checkpoint(h)
                    }
                    task = NativeBridge.nextUpload(h)
                }
                check(!force || task.kind == NativeUploadTask.UPLOAD) { "a forced round got no upload task" }
                when (task.kind) {
                    NativeUploadTask.WAIT -> waits++
                    NativeUploadTask.UPLOAD -> {
                        val id = checkNotNull(task.id)
                        check(checkNotNull(task.url) == TestSupport.RELAY)
                        check(checkNotNull(task.headers).contains("message/ohttp-req"))
                        check(checkNotNull(task.body).isNotEmpty())
                        when (uploads++ % 4) {
                            0 -> NativeBridge.uploadFinished(h, id, 503, answer, -1)
                            1 -> NativeBridge.uploadFinished(h, id, -1, null, -1)
                            2 -> NativeBridge.uploadFinished(h, id, 429, null, 120_000)
                            else -> NativeBridge.uploadFinished(h, id, 500, ByteArray(0), 30_000)
                        }
                    }
                }
            }

            var thrown = 0
            for (i in 0 until rounds) {
                when (i % 10) {
                    0 -> tab.count(counter)
                    1 -> tab.pageLoaded("https://wikipedia.org/wiki/$i", 100)
                    2 -> private.pageLoaded("https://example.com/$i", 100)
                    3 -> tab.count(labeled, "dark_mode_on")
                    4 -> tab.accumulate(histogram, i.toLong())
                    5 -> tab.searched("https://duckduckgo.com/?q=$i")
                    6 -> when (i / 10 % 3) {
                        0 -> hush.pendingReport()
                        1 -> hush.sentReports()
                        else -> NativeBridge.schemaInfo(h)
                    }
                    7 -> try { tab.pageLoaded("https://x/\uD800", 1) } catch (e: IllegalArgumentException) { thrown++ }
                    8 -> try { NativeBridge.add(h, -1, counter.index, 1) } catch (e: IllegalStateException) { thrown++ }
                    else -> uploadRound(force = i / 10 % 3 == 0)
                }
            }
            check(thrown == rounds / 5) { "expected ${rounds / 5} exceptions, got $thrown" }
            // Every attempt is in the record, so the history crossed JNI with content.
            check(hush.sentReports().sumOf { it.attempts } > 0) { "no upload attempt was recorded" }
        }
        println("stress done: $rounds rounds, $uploads upload tasks handed out and finished, $waits waits, " +
            "test clock moved ${movedMs / (24 * HOUR_MS)} days")
    }
}

package dev.hush.internal

import dev.hush.HushException
import dev.hush.Uploader
import java.util.concurrent.Callable
import java.util.concurrent.ExecutionException
import java.util.concurrent.Future
import java.util.concurrent.RejectedExecutionException
import java.util.concurrent.ScheduledThreadPoolExecutor
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicLong
import java.util.logging.Level
import java.util.logging.Logger

/**
 * The one library-owned thread that does Hush's disk and network work:
 * checkpoints (at most one per [checkpointDelayMs] while changes keep coming,
 * the first that long after a change), a periodic checkpoint that seals
 * windows closed at midnight, and the core's upload tasks. A normal tab's
 * recording calls only flip an atomic flag here; a private tab's never come
 * here at all (see [dev.hush.Tab]).
 */
internal class Background(
    private val handle: Long,
    uploader: Uploader,
    private val checkpointDelayMs: Long,
    private val periodMs: Long = 15 * 60_000L,
) {
    private val executor = ScheduledThreadPoolExecutor(1) { r ->
        Thread(r, "hush-io").apply { isDaemon = true }
    }.apply {
        removeOnCancelPolicy = true
        executeExistingDelayedTasksAfterShutdownPolicy = false
    }
    private val driver = UploadDriver(NativeUploadQueue(handle), uploader)
    private val checkpointScheduled = AtomicBoolean(false)

    /** Checkpoints [changed] has scheduled, and checkpoints run; for tests. */
    internal val checkpointsScheduled = AtomicLong()
    internal val checkpointsRun = AtomicLong()

    /** The next upload run; touched on the executor thread only. */
    private var wake: Future<*>? = null

    /** The first run waits [checkpointDelayMs] too, to stay out of the app's start-up. */
    fun start() {
        executor.scheduleWithFixedDelay({ quietly { checkpointAndUpload() } }, checkpointDelayMs, periodMs, TimeUnit.MILLISECONDS)
    }

    /** Something was recorded: checkpoint within [checkpointDelayMs]. Cheap. */
    fun changed() {
        if (checkpointScheduled.get() || !checkpointScheduled.compareAndSet(false, true)) return
        try {
            executor.schedule({
                checkpointScheduled.set(false)
                quietly { checkpoint() }
            }, checkpointDelayMs, TimeUnit.MILLISECONDS)
            checkpointsScheduled.incrementAndGet()
        } catch (e: RejectedExecutionException) {
            // Closing: the final checkpoint covers it.
        }
    }

    /** A checkpoint now, on this thread, without uploading; returns at once. */
    fun checkpointNow() {
        try {
            executor.execute { quietly { checkpoint() } }
        } catch (e: RejectedExecutionException) {
            // Closing: the final checkpoint covers it.
        }
    }

    /** Collection was switched off: requests in progress must not send their body. */
    fun cancelUploads() = driver.cancelInFlight()

    /** Uploads may be due (collection switched on, for example). */
    fun wakeUploads() {
        try {
            executor.execute { quietly { upload() } }
        } catch (e: RejectedExecutionException) {
            // Closing.
        }
    }

    /**
     * Checkpoints and performs every upload due now, on the background
     * thread; waits for it. Returns the delay until the next is due (null:
     * nothing pending).
     */
    fun flush(): Long? = await(submitFor { checkpointAndUpload() })

    /** Final checkpoint, then frees the core; the thread ends. */
    fun close() {
        val last = submit {
            try {
                checkpoint()
            } finally {
                NativeBridge.close(handle)
            }
        }
        executor.shutdown()
        try {
            await(last)
        } finally {
            executor.awaitTermination(10, TimeUnit.SECONDS)
        }
    }

    /**
     * For tests: completes once every task due within [delayMs] from now has
     * run (one thread runs the tasks in the order they are due).
     */
    internal fun afterDelay(delayMs: Long): Future<*> = executor.schedule({}, delayMs, TimeUnit.MILLISECONDS)

    private fun checkpoint() {
        checkpointsRun.incrementAndGet()
        NativeBridge.checkpoint(handle)
    }

    private fun checkpointAndUpload(): Long? {
        checkpoint()
        return upload()
    }

    /** Runs what is due; schedules the next run; returns its delay (null: nothing pending). */
    private fun upload(): Long? {
        val delay = driver.run()
        wake?.cancel(false)
        wake = if (delay == null) null else executor.schedule({ quietly { upload() } }, delay.coerceIn(0, periodMs), TimeUnit.MILLISECONDS)
        return delay
    }

    /**
     * Background failures are logged without detail beyond the message (which
     * holds no browsing data). Anything but a VM error is caught: an escaping
     * throwable would cancel the periodic task for good.
     */
    private inline fun quietly(block: () -> Unit) {
        try {
            block()
        } catch (e: VirtualMachineError) {
            throw e
        } catch (e: Throwable) {
            log.log(Level.WARNING, "background work failed: ${e.javaClass.simpleName}: ${e.message}")
        }
    }

    private fun submit(work: () -> Unit): Future<Unit> = submitFor(work)

    private fun <T> submitFor(work: () -> T): Future<T> = try {
        executor.submit(Callable { work() })
    } catch (e: RejectedExecutionException) {
        throw IllegalStateException("Hush instance is closed")
    }

    private fun <T> await(future: Future<T>): T = try {
        future.get()
    } catch (e: ExecutionException) {
        throw (e.cause as? RuntimeException) ?: HushException("background work failed: ${e.cause}")
    } catch (e: InterruptedException) {
        Thread.currentThread().interrupt()
        throw HushException("interrupted while waiting for Hush's background thread")
    }

    companion object {
        private val log: Logger = Logger.getLogger("dev.hush")
    }
}

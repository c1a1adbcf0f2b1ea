package dev.hush.internal

import dev.hush.UploadRequest
import dev.hush.UploadResponse
import dev.hush.Uploader
import java.util.concurrent.atomic.AtomicLong

/** The core's side of uploads, as the driver sees it (a seam for tests). */
interface UploadQueue {
    fun next(): NativeUploadTask
    fun finished(id: String, response: UploadResponse)
}

/** [UploadQueue] over a native handle. */
class NativeUploadQueue(private val handle: Long) : UploadQueue {
    override fun next(): NativeUploadTask = NativeBridge.nextUpload(handle)

    override fun finished(id: String, response: UploadResponse) = when (response) {
        is UploadResponse.Http -> NativeBridge.uploadFinished(handle, id, response.status, response.body, response.retryAfterMs ?: -1)
        UploadResponse.TransportError -> NativeBridge.uploadFinished(handle, id, -1, null, -1)
    }
}

/**
 * Performs the core's upload tasks until it says Done or Wait. Runs on the
 * background thread only. The core owns the policy; this only does as told.
 */
class UploadDriver(private val queue: UploadQueue, private val uploader: Uploader) {

    /** Bumped when collection is switched off: requests handed out before are cancelled. */
    private val epoch = AtomicLong()

    /** Cancels every request handed out so far (any thread). */
    fun cancelInFlight() {
        epoch.incrementAndGet()
    }

    /** Returns null when nothing is pending, else the delay until the next run. */
    fun run(maxUploads: Int = 64): Long? {
        repeat(maxUploads) {
            val task = queue.next()
            when (task.kind) {
                NativeUploadTask.DONE -> return null
                NativeUploadTask.WAIT -> return task.waitMs
                NativeUploadTask.UPLOAD -> perform(task)
                else -> throw IllegalStateException("unknown upload task kind ${task.kind}")
            }
        }
        return 0 // More is due; yield the thread and come back.
    }

    private fun perform(task: NativeUploadTask) {
        val id = checkNotNull(task.id) { "upload task without id" }
        val handedOut = epoch.get()
        val request = UploadRequest(
            url = checkNotNull(task.url) { "upload task without url" },
            headers = parseHeaders(task.headers.orEmpty()),
            body = task.body ?: ByteArray(0),
            cancelled = { epoch.get() != handedOut },
        )
        val response = try {
            uploader.upload(request)
        } catch (e: VirtualMachineError) {
            throw e
        } catch (e: Throwable) {
            // An app's uploader failing in any way (even `TODO()`) is a
            // transport error: the report is kept and the thread goes on.
            UploadResponse.TransportError
        }
        queue.finished(id, response)
    }

    companion object {
        fun parseHeaders(lines: String): Map<String, String> =
            lines.lineSequence()
                .filter { it.isNotBlank() }
                .associate { line ->
                    val colon = line.indexOf(':')
                    require(colon > 0) { "malformed header line from the core" }
                    line.substring(0, colon).trim() to line.substring(colon + 1).trim()
                }
    }
}

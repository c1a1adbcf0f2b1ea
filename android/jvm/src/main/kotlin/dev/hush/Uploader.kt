package dev.hush

/**
 * Performs the HTTP POSTs the core asks for. Implement it to use the app's
 * own network stack; the default is [HttpUrlConnectionUploader].
 *
 * Called only on Hush's background thread, one request at a time; blocking is
 * expected. The core decides what to send, when, and what an answer means
 * (backoff, quotas, Retry-After): an implementation only performs the request
 * and reports what happened. It must not follow redirects, send or store
 * cookies, or add headers that identify the device or user (a User-Agent with
 * the device model, for example). Throwing counts as a transport error.
 *
 * When the user switches collection off while a request is in progress,
 * [UploadRequest.isCancelled] turns true: check it after connecting and
 * before sending the body, and abort if it is (P3: nothing unsent leaves the
 * device after the switch).
 */
fun interface Uploader {
    fun upload(request: UploadRequest): UploadResponse
}

/** One POST: an OHTTP-encapsulated report, already sealed by the core. */
class UploadRequest @JvmOverloads constructor(
    val url: String,
    /** Header name to value; `content-type: message/ohttp-req`. */
    val headers: Map<String, String>,
    val body: ByteArray,
    private val cancelled: () -> Boolean = { false },
) {
    /** True once collection was switched off after this request was handed out: do not send it. */
    fun isCancelled(): Boolean = cancelled()
}

sealed interface UploadResponse {
    /** The server answered. [retryAfterMs] is its Retry-After, if any. */
    class Http(val status: Int, val body: ByteArray, val retryAfterMs: Long? = null) : UploadResponse

    /** No HTTP answer: DNS, connect, TLS, timeout, reset. The report is kept. */
    object TransportError : UploadResponse
}

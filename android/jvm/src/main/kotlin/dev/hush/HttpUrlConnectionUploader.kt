package dev.hush

import java.io.IOException
import java.io.InputStream
import java.net.CookieHandler
import java.net.HttpURLConnection
import java.net.URI
import java.time.Instant
import java.time.ZonedDateTime
import java.time.format.DateTimeFormatter
import java.util.concurrent.atomic.AtomicBoolean
import java.util.logging.Logger

/**
 * The default [Uploader], on `java.net.HttpURLConnection` (available on every
 * JVM and on Android).
 *
 * - Timeouts: [connectTimeoutMs] and [readTimeoutMs]; a timeout is a transport
 *   error and the core retries later.
 * - Redirects: refused, all of them. A 3xx is handed to the core as the answer
 *   (a sealed report has exactly one destination; following a redirect could
 *   only send it somewhere it was not meant to go).
 * - Cookies: never. `HttpURLConnection` applies a process-wide
 *   [CookieHandler] if the app installed one and offers no per-request way to
 *   opt out, so while one is installed this uploader sends nothing (transport
 *   error, reports kept) and logs why once: supply your own [Uploader] then.
 * - Headers: only the core's, plus a constant `User-Agent: hush` (the platform
 *   default names the device model on Android). No caches.
 * - Only http and https URLs; the response body is read up to 1 MiB.
 * - Cancellation: a request cancelled while connecting is dropped before a
 *   byte of its body is written ([UploadRequest.isCancelled]).
 */
class HttpUrlConnectionUploader @JvmOverloads constructor(
    val connectTimeoutMs: Int = 15_000,
    val readTimeoutMs: Int = 30_000,
) : Uploader {

    override fun upload(request: UploadRequest): UploadResponse {
        val url = try {
            URI(request.url).toURL()
        } catch (e: Exception) {
            return UploadResponse.TransportError
        }
        if (url.protocol != "https" && url.protocol != "http") return UploadResponse.TransportError
        if (CookieHandler.getDefault() != null) {
            if (cookieWarned.compareAndSet(false, true)) {
                log.warning("a process-wide CookieHandler is installed; the default uploader will not send reports (use your own Uploader)")
            }
            return UploadResponse.TransportError
        }
        val connection = try {
            url.openConnection() as HttpURLConnection
        } catch (e: IOException) {
            return UploadResponse.TransportError
        }
        return try {
            connection.requestMethod = "POST"
            connection.instanceFollowRedirects = false
            connection.useCaches = false
            connection.doOutput = true
            connection.connectTimeout = connectTimeoutMs
            connection.readTimeout = readTimeoutMs
            connection.setRequestProperty("User-Agent", "hush")
            for ((name, value) in request.headers) connection.setRequestProperty(name, value)
            connection.setFixedLengthStreamingMode(request.body.size)
            if (request.isCancelled()) return UploadResponse.TransportError
            connection.connect()
            // Connecting can take seconds on a phone: the user may have
            // switched collection off meanwhile.
            if (request.isCancelled()) return UploadResponse.TransportError
            connection.outputStream.use { it.write(request.body) }
            val status = connection.responseCode
            val stream = if (status >= 400) connection.errorStream else connection.inputStream
            val body = stream?.use { readBounded(it) } ?: ByteArray(0)
            UploadResponse.Http(status, body, parseRetryAfter(connection.getHeaderField("Retry-After")))
        } catch (e: IOException) {
            UploadResponse.TransportError
        } finally {
            connection.disconnect()
        }
    }

    /** Reads at most [MAX_ANSWER] bytes (no `readNBytes`: Android has it only from API 33). */
    private fun readBounded(input: InputStream): ByteArray {
        val out = java.io.ByteArrayOutputStream()
        val buffer = ByteArray(8192)
        while (true) {
            val n = input.read(buffer)
            if (n < 0) return out.toByteArray()
            if (out.size() + n > MAX_ANSWER) throw IOException("answer too large")
            out.write(buffer, 0, n)
        }
    }

    companion object {
        private const val MAX_ANSWER = 1024 * 1024
        private val log: Logger = Logger.getLogger("dev.hush")
        private val cookieWarned = AtomicBoolean(false)

        /** Retry-After as delay-seconds or an HTTP-date, in milliseconds from [now]. */
        @JvmStatic
        @JvmOverloads
        fun parseRetryAfter(value: String?, now: Instant = Instant.now()): Long? {
            val v = value?.trim() ?: return null
            if (v.isEmpty()) return null
            v.toLongOrNull()?.let { return if (it >= 0) Math.multiplyExact(minOf(it, 365L * 86_400), 1000L) else null }
            return try {
                val at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant()
                maxOf(0L, at.toEpochMilli() - now.toEpochMilli())
            } catch (e: Exception) {
                null
            }
        }
    }
}

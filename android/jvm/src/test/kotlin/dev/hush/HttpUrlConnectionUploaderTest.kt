package dev.hush

import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpServer
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import java.net.CookieHandler
import java.net.CookieManager
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.time.Instant
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** The default uploader against a server on loopback. */
class HttpUrlConnectionUploaderTest {
    private class Seen(val path: String, val headers: Map<String, List<String>>, val body: ByteArray)

    private lateinit var server: HttpServer
    private val seen = ConcurrentLinkedQueue<Seen>()
    private val release = CountDownLatch(1)
    // The read timeout is well below /slow's 10 s, and well above what a cold
    // JVM under qemu-user (the arm64 run of scripts/android/test-libraries)
    // takes to answer /busy: at 500 ms that answer sometimes came too late.
    private val uploader = HttpUrlConnectionUploader(connectTimeoutMs = 2_000, readTimeoutMs = 3_000)

    private fun url(path: String) = "http://127.0.0.1:${server.address.port}$path"

    private fun request(path: String) = UploadRequest(url(path), mapOf("content-type" to "message/ohttp-req"), byteArrayOf(1, 2, 3, 4))

    @BeforeEach
    fun startServer() {
        server = HttpServer.create(InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0)
        fun record(ex: HttpExchange) {
            seen += Seen(ex.requestURI.path, ex.requestHeaders.mapKeys { it.key.lowercase() }, ex.requestBody.readAllBytes())
        }
        server.createContext("/ok") { ex ->
            record(ex)
            ex.responseHeaders.add("Retry-After", "120")
            ex.responseHeaders.add("Set-Cookie", "track=1")
            ex.sendResponseHeaders(200, 2)
            ex.responseBody.use { it.write(byteArrayOf(7, 8)) }
        }
        server.createContext("/busy") { ex ->
            record(ex)
            ex.responseHeaders.add("Retry-After", "30")
            ex.sendResponseHeaders(503, -1)
            ex.close()
        }
        server.createContext("/redirect") { ex ->
            record(ex)
            ex.responseHeaders.add("Location", url("/elsewhere"))
            ex.sendResponseHeaders(307, -1)
            ex.close()
        }
        server.createContext("/elsewhere") { ex ->
            record(ex)
            ex.sendResponseHeaders(200, -1)
            ex.close()
        }
        server.createContext("/slow") { ex ->
            record(ex)
            release.await(10, TimeUnit.SECONDS)
            ex.sendResponseHeaders(200, -1)
            ex.close()
        }
        server.executor = java.util.concurrent.Executors.newCachedThreadPool()
        server.start()
    }

    @AfterEach
    fun stopServer() {
        release.countDown()
        server.stop(0)
        CookieHandler.setDefault(null)
    }

    @Test
    fun `posts exactly the core's request and hands back status, body and Retry-After`() {
        val response = assertIs<UploadResponse.Http>(uploader.upload(request("/ok")))
        assertEquals(200, response.status)
        assertContentEquals(byteArrayOf(7, 8), response.body)
        assertEquals(120_000L, response.retryAfterMs)
        val s = seen.single()
        assertContentEquals(byteArrayOf(1, 2, 3, 4), s.body)
        assertEquals(listOf("message/ohttp-req"), s.headers["content-type"])
        assertEquals(listOf("hush"), s.headers["user-agent"])
        assertNull(s.headers["cookie"])
        // A second request sends no cookie back either.
        uploader.upload(request("/ok"))
        assertNull(seen.last().headers["cookie"])
    }

    @Test
    fun `error statuses are answers, not transport errors`() {
        val response = assertIs<UploadResponse.Http>(uploader.upload(request("/busy")))
        assertEquals(503, response.status)
        assertEquals(30_000L, response.retryAfterMs)
    }

    @Test
    fun `redirects are never followed`() {
        val response = assertIs<UploadResponse.Http>(uploader.upload(request("/redirect")))
        assertEquals(307, response.status)
        assertEquals(listOf("/redirect"), seen.map { it.path })
    }

    @Test
    fun `a read timeout is a transport error`() {
        assertEquals(UploadResponse.TransportError, uploader.upload(request("/slow")))
    }

    @Test
    fun `a refused connection and a non-http URL are transport errors`() {
        val closedPort = ServerSocket(0, 1, InetAddress.getLoopbackAddress()).use { it.localPort }
        val refused = UploadRequest("http://127.0.0.1:$closedPort/x", emptyMap(), byteArrayOf(1))
        assertEquals(UploadResponse.TransportError, uploader.upload(refused))
        assertEquals(UploadResponse.TransportError, uploader.upload(UploadRequest("file:///etc/passwd", emptyMap(), byteArrayOf(1))))
        assertEquals(UploadResponse.TransportError, uploader.upload(UploadRequest("not a url", emptyMap(), byteArrayOf(1))))
    }

    @Test
    fun `with a process-wide cookie handler nothing is sent`() {
        CookieHandler.setDefault(CookieManager())
        assertEquals(UploadResponse.TransportError, uploader.upload(request("/ok")))
        assertTrue(seen.isEmpty())
    }

    @Test
    fun `Retry-After accepts seconds and HTTP dates`() {
        val now = Instant.parse("2026-11-21T10:00:00Z")
        assertEquals(120_000L, HttpUrlConnectionUploader.parseRetryAfter("120", now))
        assertEquals(90_000L, HttpUrlConnectionUploader.parseRetryAfter("Sat, 21 Nov 2026 10:01:30 GMT", now))
        assertEquals(0L, HttpUrlConnectionUploader.parseRetryAfter("Sat, 21 Nov 2026 09:00:00 GMT", now))
        assertNull(HttpUrlConnectionUploader.parseRetryAfter("soon", now))
        assertNull(HttpUrlConnectionUploader.parseRetryAfter("-5", now))
        assertNull(HttpUrlConnectionUploader.parseRetryAfter(null, now))
    }

    @Test
    fun `a request cancelled before or while connecting sends no body`() {
        val before = UploadRequest(url("/ok"), mapOf("content-type" to "message/ohttp-req"), byteArrayOf(1, 2, 3, 4)) { true }
        assertIs<UploadResponse.TransportError>(uploader.upload(before))
        // Cancelled once the connection is up: the second check sees it.
        var checks = 0
        val during = UploadRequest(url("/ok"), mapOf("content-type" to "message/ohttp-req"), byteArrayOf(1, 2, 3, 4)) {
            ++checks >= 2
        }
        assertIs<UploadResponse.TransportError>(uploader.upload(during))
        assertTrue(checks >= 2, "the uploader never checked after connecting")
        // The control: the same request, not cancelled, arrives.
        assertIs<UploadResponse.Http>(uploader.upload(request("/ok")))
        Thread.sleep(200) // let the server record anything late
        assertEquals(1, seen.size, "a cancelled request reached the server")
    }
}

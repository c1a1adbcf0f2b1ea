package dev.hush.android.test

import androidx.test.ext.junit.runners.AndroidJUnit4
import dev.hush.HttpUrlConnectionUploader
import dev.hush.UploadRequest
import dev.hush.UploadResponse
import dev.hush.android.test.LoopbackServer.Response
import org.junit.After
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import java.net.CookieHandler
import java.net.CookieManager
import java.net.CookiePolicy
import java.net.HttpURLConnection
import java.net.URI

/**
 * The default uploader on Android's own HttpURLConnection (OkHttp inside,
 * unlike the JDK's on the host) against a server inside the test: what is
 * sent, redirects, cookies, the answer.
 */
@RunWith(AndroidJUnit4::class)
class UploaderDeviceTest {
    private val server = LoopbackServer { request ->
        when (request.path) {
            "/ok" -> Response(200, mapOf("Retry-After" to "120", "Set-Cookie" to "track=1"), byteArrayOf(7, 8))
            "/redirect" -> Response(307, mapOf("Location" to "/elsewhere"))
            else -> Response(404)
        }
    }
    private val uploader = HttpUrlConnectionUploader(connectTimeoutMs = 5_000, readTimeoutMs = 5_000)
    private val body = byteArrayOf(1, 2, 3, 4)

    private fun post(path: String) = uploader.upload(UploadRequest(server.url(path), mapOf("content-type" to "message/ohttp-req"), body))

    @After
    fun stop() = server.close()

    @Test
    fun postsExactlyTheBodyAndHeadersAndReturnsTheAnswer() {
        val response = post("/ok") as UploadResponse.Http
        assertEquals(200, response.status)
        assertArrayEquals(byteArrayOf(7, 8), response.body)
        assertEquals(120_000L, response.retryAfterMs)

        val seen = server.requests.single()
        assertEquals("POST", seen.method)
        assertArrayEquals(body, seen.body)
        assertEquals("message/ohttp-req", seen.headers["content-type"])
        // Not the platform default, which names the device model.
        assertEquals("hush", seen.headers["user-agent"])
    }

    /**
     * Without a process-wide CookieHandler, Android's HttpURLConnection keeps
     * no cookies at all, so a test without one could not fail. This one
     * installs a cookie store that holds a cookie for this very host, as a
     * browser app might, and restores the previous default afterwards.
     */
    @Test
    fun neverSendsACookieBack() {
        val previous = CookieHandler.getDefault()
        val cookies = CookieManager(null, CookiePolicy.ACCEPT_ALL)
        cookies.put(URI(server.url("/")), mapOf("Set-Cookie" to listOf("session=planted; Path=/")))
        CookieHandler.setDefault(cookies)
        try {
            // The control: a plain HttpURLConnection does send it, so the
            // assertions below can fail.
            (URI(server.url("/control")).toURL().openConnection() as HttpURLConnection).run {
                try { responseCode } finally { disconnect() }
            }
            val control = server.requests.single { it.path == "/control" }.headers["cookie"]
            assertTrue("the control request carried $control", control.orEmpty().contains("session=planted"))

            // The uploader sends nothing while a CookieHandler is installed
            // (HttpURLConnection has no per-request opt-out): a transport
            // error, the report is kept for later.
            assertEquals(UploadResponse.TransportError, post("/ok"))
            assertEquals(UploadResponse.TransportError, post("/ok"))
            assertEquals(listOf("/control"), server.requests.map { it.path })
            assertTrue(server.requests.none { it.path != "/control" && it.headers["cookie"] != null })
        } finally {
            CookieHandler.setDefault(previous)
        }
    }

    @Test
    fun doesNotFollowARedirect() {
        val response = post("/redirect") as UploadResponse.Http
        assertEquals(307, response.status)
        assertNull(response.retryAfterMs)
        assertEquals(listOf("/redirect"), server.requests.map { it.path })
    }
}

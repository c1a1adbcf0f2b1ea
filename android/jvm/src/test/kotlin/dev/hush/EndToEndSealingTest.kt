package dev.hush

import com.sun.net.httpserver.HttpServer
import dev.hush.internal.NativeBridge
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.net.InetAddress
import java.net.InetSocketAddress
import java.util.concurrent.ConcurrentLinkedQueue
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue

/**
 * Kotlin → JNI → core: a day's window closes (test clock), is sealed into
 * pending/, and the default uploader POSTs it to a loopback gateway.
 */
class EndToEndSealingTest {
    @TempDir
    lateinit var dir: File

    @Test
    fun `a closed day is sealed and posted to the gateway`() {
        TestSupport.awayFromUtcMidnight()
        val bodies = ConcurrentLinkedQueue<Pair<String?, ByteArray>>()
        val server = HttpServer.create(InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0)
        server.createContext("/gateway") { ex ->
            bodies += ex.requestHeaders.getFirst("content-type") to ex.requestBody.readAllBytes()
            ex.sendResponseHeaders(200, -1)
            ex.close()
        }
        server.start()
        val day = 86_400_000L
        try {
            val gateway = "http://127.0.0.1:${server.address.port}/gateway"
            val config = TestSupport.config(dir, uploader = HttpUrlConnectionUploader(), gateway = gateway, relay = null)
            Hush.start(config).use { hush ->
                hush.openTab(private = false).pageLoaded("https://en.wikipedia.org/wiki/e2e-secret", 100)
                NativeBridge.testAdvanceClock(day)
                try {
                    hush.flush() // seals yesterday into pending/
                    // Past every report's random send time (P7): sealed more
                    // than 6 h after midnight, a day's reports draw theirs up
                    // to 24 h after the seal. 7 h here missed them all in
                    // about 1 run in 170 (15 draws, each 17/24 likely later).
                    NativeBridge.testAdvanceClock(25 * 3_600_000L)
                    hush.flush()
                } finally {
                    NativeBridge.testAdvanceClock(-day - 25 * 3_600_000L)
                }
            }
            val (type, body) = bodies.single()
            assertEquals("message/ohttp-req", type)
            assertTrue(body.size > 32)
            assertFalse(String(body, Charsets.ISO_8859_1).contains("e2e-secret"))
            assertFalse(String(body, Charsets.ISO_8859_1).contains("wikipedia"))
        } finally {
            server.stop(0)
        }
    }
}

package dev.hush.android.test

import androidx.test.ext.junit.runners.AndroidJUnit4
import dev.hush.Hush
import dev.hush.HttpUrlConnectionUploader
import dev.hush.android.test.LoopbackServer.Response
import dev.hush.internal.NativeBridge
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith

/**
 * Needs the debug variant's test-hooks (the movable clock).
 *
 * A day closes, is sealed, and the default uploader posts it to a server
 * inside the test; the body holds nothing of the page.
 */
@RunWith(AndroidJUnit4::class)
class EndToEndUploadDeviceTest {
    @Test
    fun aClosedDayIsSealedAndPostedToTheGateway() {
        val day = 86_400_000L
        LoopbackServer { Response(200) }.use { server ->
            val config = Fixtures.config(
                Fixtures.freshDir("e2e"), uploader = HttpUrlConnectionUploader(),
                gateway = server.url("/gateway"), relay = null,
            )
            Hush.start(config).use { hush ->
                hush.openTab(private = false).pageLoaded("https://en.wikipedia.org/wiki/e2e-secret", 100)
                NativeBridge.testAdvanceClock(day)
                try {
                    hush.flush() // seals yesterday into pending/
                    // Past every report's random send time: up to 24 h after a seal (P7).
                    NativeBridge.testAdvanceClock(25 * 3_600_000L)
                    hush.flush()
                } finally {
                    NativeBridge.testAdvanceClock(-day - 25 * 3_600_000L)
                }
            }
            val posted = server.requests.single()
            assertEquals("/gateway", posted.path)
            assertEquals("message/ohttp-req", posted.headers["content-type"])
            assertTrue(posted.body.size > 32)
            val text = String(posted.body, Charsets.ISO_8859_1)
            assertFalse(text.contains("e2e-secret"))
            assertFalse(text.contains("wikipedia"))
        }
    }
}

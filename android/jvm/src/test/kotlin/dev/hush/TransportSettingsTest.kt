package dev.hush

import dev.hush.internal.NativeBridge
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith

/**
 * The transport settings through the real native library: "no relay" is an
 * explicit opt-out, plain http is refused (the test library accepts it only
 * to a loopback collector; the release library never: see hush-jni's
 * `transport` tests), and what a relay or gateway answers shows in
 * [Hush.sentReports] without ending the report (P16).
 */
class TransportSettingsTest {
    @TempDir
    lateinit var dir: File

    @Test
    fun `no relay needs directToCollector`() {
        val e = assertFailsWith<IllegalArgumentException> {
            Hush.start(TestSupport.config(File(dir, "a"), relay = null, directToCollector = false))
        }
        assertContains(e.message!!, "directToCollector = true")
        assertContains(e.message!!, "IP address")
        assertFailsWith<IllegalArgumentException> {
            Hush.start(TestSupport.config(File(dir, "b"), relay = TestSupport.RELAY, directToCollector = true))
        }
    }

    @Test
    fun `plain http is refused except to a loopback test collector`() {
        for ((gateway, relay) in listOf(
            "http://collector.example/gateway" to TestSupport.RELAY,
            TestSupport.GATEWAY to "http://relay.example/relay",
        )) {
            val e = assertFailsWith<IllegalArgumentException>("$gateway $relay") {
                Hush.start(TestSupport.config(File(dir, "x"), gateway = gateway, relay = relay))
            }
            assertContains(e.message!!, "https://")
        }
        // The aggregators the task configuration names follow the same rules.
        val plain = String(TestSupport.TASKS).replace("https://leader.invalid/", "http://leader.invalid/")
        val e = assertFailsWith<IllegalArgumentException> {
            Hush.start(TestSupport.config(File(dir, "y"), tasks = plain.toByteArray()))
        }
        assertContains(e.message!!, "leader must use https://")
    }

    /**
     * One closed day, then one upload attempt answered by [uploader] (a day
     * is one report per metric, and uploads keep a gap between them, so one
     * flush makes one attempt); returns what the user sees.
     */
    private fun oneAttempt(name: String, relay: String?, uploader: Uploader): Pair<List<SentReport>, List<PendingUpload>> {
        var sealed = ""
        TestSupport.awayFromUtcMidnight()
        val day = 86_400_000L
        Hush.start(TestSupport.config(File(dir, name), uploader = uploader, relay = relay)).use { hush ->
            hush.openTab(private = false).count(hush.counter("bookmarks.added"))
            NativeBridge.testAdvanceClock(day)
            try {
                hush.flush() // seals the day
                sealed = hush.pendingUploads().map { it.day }.distinct().single()
                // Past every report's send time (at most a day after sealing).
                NativeBridge.testAdvanceClock(25 * 3_600_000L)
                hush.flush()
            } finally {
                NativeBridge.testAdvanceClock(-day - 25 * 3_600_000L)
            }
            // (The clock jump closed the next day too: only the first day's reports.)
            return hush.sentReports() to hush.pendingUploads().filter { it.day == sealed }
        }
    }

    @Test
    fun `uploads go to the relay, or opted out to the gateway`() {
        val urls = mutableListOf<String>()
        val record = Uploader { urls += it.url; UploadResponse.TransportError }
        oneAttempt("relayed", TestSupport.RELAY, record)
        oneAttempt("direct", null, record)
        assertEquals(listOf(TestSupport.RELAY, TestSupport.GATEWAY), urls)
    }

    @Test
    fun `a relay's 404 keeps the report and says so`() {
        val (sent, pending) = oneAttempt("404", TestSupport.RELAY) { UploadResponse.Http(404, "not found".toByteArray()) }
        assertEquals(emptyList(), sent, "nothing ended")
        val retrying = pending.filter { it.state == PendingUpload.State.RETRYING }
        val report = retrying.single()
        assertEquals(1, report.attempts)
        assertEquals(SentReport.Answer(SentReport.Answer.Kind.OUTER, 404), report.lastAnswer)
        assertContains(report.describe(), "not sent yet after 1 attempt(s) (last attempt: the relay or gateway answered 404)")
        assertEquals(15, pending.size, "every report of the day is still there")
    }

    @Test
    fun `the RFC 9458 key problem ends the report`() {
        val problem = """{"type":"https://iana.org/assignments/http-problem-types#ohttp-key"}""".toByteArray()
        val (sent, pending) = oneAttempt("key", TestSupport.RELAY) { UploadResponse.Http(400, problem) }
        val report = sent.single()
        assertEquals(SentReport.Outcome.KEY_UNKNOWN, report.outcome)
        assertEquals(1, report.reports)
        assertEquals(SentReport.Answer(SentReport.Answer.Kind.KEY_PROBLEM), report.lastAnswer)
        assertContains(report.describe(), "no longer has the key")
        assertEquals(14, pending.size)
    }
}

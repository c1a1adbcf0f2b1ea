package dev.hush

import dev.hush.internal.NativeUploadTask
import dev.hush.internal.UploadDriver
import dev.hush.internal.UploadQueue
import org.junit.jupiter.api.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertSame
import kotlin.test.assertTrue

/** The driver does exactly what the core's tasks say (a fake core here). */
class UploadDriverTest {
    private class FakeQueue(vararg tasks: NativeUploadTask) : UploadQueue {
        val tasks = ArrayDeque(tasks.toList())
        val finished = mutableListOf<Pair<String, UploadResponse>>()
        override fun next() = tasks.removeFirstOrNull() ?: NativeUploadTask(NativeUploadTask.DONE, -1, null, null, null, null)
        override fun finished(id: String, response: UploadResponse) {
            finished += id to response
        }
    }

    private fun upload(id: String) = NativeUploadTask(
        NativeUploadTask.UPLOAD, 0, id, "https://relay.example/r", "content-type: message/ohttp-req\n", byteArrayOf(1, 2, 3),
    )

    @Test
    fun `uploads until the core says wait, passing requests and answers through`() {
        val queue = FakeQueue(upload("a"), upload("b"), NativeUploadTask(NativeUploadTask.WAIT, 5000, null, null, null, null))
        val seen = mutableListOf<UploadRequest>()
        val answer = UploadResponse.Http(200, byteArrayOf(9), retryAfterMs = null)
        val delay = UploadDriver(queue) { seen += it; answer }.run()

        assertEquals(5000L, delay)
        assertEquals(listOf("https://relay.example/r", "https://relay.example/r"), seen.map { it.url })
        assertEquals(mapOf("content-type" to "message/ohttp-req"), seen[0].headers)
        assertContentEquals(byteArrayOf(1, 2, 3), seen[0].body)
        assertEquals(listOf("a", "b"), queue.finished.map { it.first })
        assertSame(answer, queue.finished[0].second)
    }

    @Test
    fun `a throwing uploader is a transport error and done means no wake-up`() {
        val queue = FakeQueue(upload("a"))
        val delay = UploadDriver(queue) { throw java.io.IOException("offline") }.run()
        assertNull(delay)
        assertEquals(listOf<Pair<String, UploadResponse>>("a" to UploadResponse.TransportError), queue.finished.toList())
    }

    @Test
    fun `a run is bounded and asks to come back at once`() {
        val queue = FakeQueue(*Array(10) { upload("u$it") })
        assertEquals(0L, UploadDriver(queue) { UploadResponse.TransportError }.run(maxUploads = 3))
        assertEquals(3, queue.finished.size)
    }

    @Test
    fun `an uploader failing with an Error is a transport error too`() {
        val queue = FakeQueue(upload("a"), upload("b"))
        val delay = UploadDriver(queue) { TODO("the app's uploader is unfinished") }.run()
        assertNull(delay)
        assertEquals(listOf("a", "b"), queue.finished.map { it.first })
        assertTrue(queue.finished.all { it.second === UploadResponse.TransportError })
    }

    @Test
    fun `switching collection off cancels the request in progress, not later ones`() {
        val queue = FakeQueue(upload("a"), upload("b"))
        lateinit var driver: UploadDriver
        val cancelledSeen = mutableListOf<Boolean>()
        driver = UploadDriver(queue) { request ->
            if (cancelledSeen.isEmpty()) {
                assertFalse(request.isCancelled())
                driver.cancelInFlight() // the user switches off while this one is connecting
            }
            cancelledSeen += request.isCancelled()
            UploadResponse.TransportError
        }
        driver.run()
        assertEquals(listOf(true, false), cancelledSeen)
    }
}

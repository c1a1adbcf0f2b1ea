package dev.hush.android.test

import java.io.BufferedInputStream
import java.io.Closeable
import java.io.InputStream
import java.net.InetAddress
import java.net.ServerSocket
import java.net.Socket
import java.util.concurrent.ConcurrentLinkedQueue

/**
 * A minimal HTTP/1.1 server on 127.0.0.1 inside the test (the JDK's
 * com.sun.net.httpserver, which the host tests use, is not on Android).
 * One request per connection; [respond] picks the answer by path.
 */
class LoopbackServer(private val respond: (Request) -> Response) : Closeable {
    class Request(val method: String, val path: String, val headers: Map<String, String>, val body: ByteArray)
    class Response(val status: Int, val headers: Map<String, String> = emptyMap(), val body: ByteArray = ByteArray(0))

    private val socket = ServerSocket(0, 16, InetAddress.getByName("127.0.0.1"))
    val requests = ConcurrentLinkedQueue<Request>()

    fun url(path: String) = "http://127.0.0.1:${socket.localPort}$path"

    private val thread = Thread({
        while (!socket.isClosed) {
            val client = try { socket.accept() } catch (e: java.io.IOException) { break }
            client.use { serve(it) }
        }
    }, "loopback-http").apply { isDaemon = true; start() }

    private fun serve(client: Socket) {
        val input = BufferedInputStream(client.getInputStream())
        val requestLine = readLine(input) ?: return
        val (method, path) = requestLine.split(" ").let { it[0] to it[1] }
        val headers = generateSequence { readLine(input)?.takeIf { it.isNotEmpty() } }
            .associate { line -> line.substringBefore(':').trim().lowercase() to line.substringAfter(':').trim() }
        val length = headers["content-length"]?.toInt() ?: 0
        val body = ByteArray(length).also { var read = 0; while (read < length) read += input.read(it, read, length - read).also { n -> check(n > 0) } }
        val request = Request(method, path, headers, body)
        requests += request
        val response = respond(request)
        val head = buildString {
            append("HTTP/1.1 ${response.status} X\r\n")
            for ((k, v) in response.headers) append("$k: $v\r\n")
            append("Content-Length: ${response.body.size}\r\nConnection: close\r\n\r\n")
        }
        client.getOutputStream().apply { write(head.toByteArray()); write(response.body); flush() }
    }

    private fun readLine(input: InputStream): String? {
        val line = StringBuilder()
        while (true) {
            val c = input.read()
            if (c < 0) return if (line.isEmpty()) null else line.toString()
            if (c == '\n'.code) return line.toString().removeSuffix("\r")
            line.append(c.toChar())
        }
    }

    override fun close() {
        socket.close()
        thread.join(5_000)
    }
}

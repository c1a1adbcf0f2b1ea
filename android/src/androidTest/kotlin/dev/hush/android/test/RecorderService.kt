package dev.hush.android.test

import android.app.Service
import android.content.Intent
import android.os.Handler
import android.os.IBinder
import android.os.Looper
import android.os.Message
import android.os.Messenger
import android.os.Process
import dev.hush.Hush

/**
 * Runs in the test app's ":recorder" process (androidTest manifest). On
 * [MSG_RECORD] it opens Hush on the directory named in the message, counts
 * `downloads.started` [Message.arg1] times, flushes (the checkpoint a
 * backgrounded app writes), replies, and kills its own process without
 * closing Hush, as the system kills a background app.
 */
class RecorderService : Service() {
    private val messenger = Messenger(Handler(Looper.getMainLooper()) { msg ->
        if (msg.what != MSG_RECORD) return@Handler false
        val dir = java.io.File(checkNotNull(msg.data.getString(KEY_DIR)))
        val hush = Hush.start(Fixtures.config(dir))
        hush.openTab(private = false).count(hush.counter("downloads.started"), msg.arg1.toLong())
        hush.flush()
        msg.replyTo.send(Message.obtain(null, MSG_RECORDED, Process.myPid(), 0))
        Process.killProcess(Process.myPid())
        true
    })

    override fun onBind(intent: Intent): IBinder = messenger.binder

    companion object {
        const val MSG_RECORD = 1
        const val MSG_RECORDED = 2
        const val KEY_DIR = "dir"
    }
}

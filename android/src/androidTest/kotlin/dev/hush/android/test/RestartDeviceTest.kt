package dev.hush.android.test

import android.content.ComponentName
import android.content.Context
import android.content.Intent
import android.content.ServiceConnection
import android.os.Handler
import android.os.HandlerThread
import android.os.IBinder
import android.os.Message
import android.os.Messenger
import android.os.Process
import androidx.test.ext.junit.runners.AndroidJUnit4
import dev.hush.Hush
import dev.hush.MetricValue
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean

/** What a killed process checkpointed is there when the next process starts. */
@RunWith(AndroidJUnit4::class)
class RestartDeviceTest {
    @Test
    fun stateSurvivesTheProcessBeingKilled() {
        val dir = Fixtures.freshDir("restart")
        val context = Fixtures.context
        val replies = HandlerThread("recorder-replies").apply { start() }
        val recorded = CountDownLatch(1)
        val died = CountDownLatch(1)
        var recorderPid = 0
        val replyTo = Messenger(Handler(replies.looper) { msg ->
            recorderPid = msg.arg1
            recorded.countDown()
            true
        })
        // BIND_AUTO_CREATE makes the system restart a bound service whose
        // process died, and connect it again while the binding lasts: the
        // record request is sent once only, and the binding ends as soon as
        // the process is dead, so no second process records or holds the
        // directory when this test opens it.
        val requested = AtomicBoolean(false)
        val bound = AtomicBoolean(false)
        val connection = object : ServiceConnection {
            override fun onServiceConnected(name: ComponentName, service: IBinder) {
                if (!requested.compareAndSet(false, true)) return
                val msg = Message.obtain(null, RecorderService.MSG_RECORD, 5, 0)
                msg.data.putString(RecorderService.KEY_DIR, dir.path)
                msg.replyTo = replyTo
                Messenger(service).send(msg)
            }

            // Called when the hosting process dies: the signal we wait for.
            override fun onServiceDisconnected(name: ComponentName) = died.countDown()
        }
        fun unbindOnce() {
            if (bound.compareAndSet(true, false)) context.unbindService(connection)
        }
        try {
            bound.set(context.bindService(Intent(context, RecorderService::class.java), connection, Context.BIND_AUTO_CREATE))
            assertTrue("bound to the recorder service", bound.get())
            assertTrue("the recorder process answered", recorded.await(60, TimeUnit.SECONDS))
            assertTrue("the recorder process died", died.await(60, TimeUnit.SECONDS))
            unbindOnce()
            assertNotEquals("it was another process", Process.myPid(), recorderPid)
        } finally {
            unbindOnce()
            replies.quitSafely()
        }

        Hush.start(Fixtures.config(dir)).use { hush ->
            // Exactly one process recorded, once.
            assertEquals(MetricValue.Count(5), hush.pendingReport().metrics["downloads.started"])
        }
    }
}

package dev.hush.android

import android.app.Activity
import android.app.Application
import android.os.Bundle
import android.util.Log
import dev.hush.Hush
import dev.hush.internal.NativeBridge
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import java.util.concurrent.RejectedExecutionException

/**
 * Writes a checkpoint when the app's last started activity stops, because a
 * process in the background may be killed without notice. Only a checkpoint:
 * no upload, so that network traffic never marks the moment the user left
 * the app (P7). Runs off the main thread.
 */
internal class BackgroundCheckpoint(private val hush: Hush) : Application.ActivityLifecycleCallbacks {
    private var started = 0 // main thread only
    private val executor: ExecutorService = Executors.newSingleThreadExecutor { r ->
        Thread(r, "hush-checkpoint").apply { isDaemon = true }
    }

    override fun onActivityStarted(activity: Activity) {
        started++
    }

    override fun onActivityStopped(activity: Activity) {
        started = maxOf(0, started - 1)
        // A rotation stops and restarts the activity; that is not "background".
        if (started == 0 && !activity.isChangingConfigurations) checkpointSoon()
    }

    fun checkpointSoon() {
        try {
            executor.execute {
                try {
                    // Same Kotlin module as dev.hush, so the handle is visible;
                    // Hush.flush() would also upload, which is not wanted here.
                    NativeBridge.checkpoint(hush.handle)
                } catch (e: RuntimeException) {
                    // Closed meanwhile, or a disk error: the message holds no browsing data.
                    Log.w(TAG, "background checkpoint failed: ${e.javaClass.simpleName}: ${e.message}")
                }
            }
        } catch (e: RejectedExecutionException) {
            // Stopped: close() writes the last checkpoint.
        }
    }

    fun stop() = executor.shutdown()

    override fun onActivityCreated(activity: Activity, savedInstanceState: Bundle?) = Unit
    override fun onActivityResumed(activity: Activity) = Unit
    override fun onActivityPaused(activity: Activity) = Unit
    override fun onActivitySaveInstanceState(activity: Activity, outState: Bundle) = Unit
    override fun onActivityDestroyed(activity: Activity) = Unit

    private companion object {
        const val TAG = "hush"
    }
}

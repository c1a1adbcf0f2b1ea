package dev.hush.android

import android.app.Activity
import android.app.Application
import android.os.Bundle
import dev.hush.Hush

/**
 * Writes a checkpoint when the app's last started activity stops, because a
 * process in the background may be killed without notice. Only a checkpoint:
 * no upload, so that network traffic never marks the moment the user left
 * the app (P7). The work happens on Hush's own background thread.
 */
internal class BackgroundCheckpoint(private val hush: Hush) : Application.ActivityLifecycleCallbacks {
    private var started = 0 // main thread only

    override fun onActivityStarted(activity: Activity) {
        started++
    }

    override fun onActivityStopped(activity: Activity) {
        started = maxOf(0, started - 1)
        // A rotation stops and restarts the activity; that is not "background".
        if (started == 0 && !activity.isChangingConfigurations) hush.checkpointSoon()
    }

    override fun onActivityCreated(activity: Activity, savedInstanceState: Bundle?) = Unit
    override fun onActivityResumed(activity: Activity) = Unit
    override fun onActivityPaused(activity: Activity) = Unit
    override fun onActivitySaveInstanceState(activity: Activity, outState: Bundle) = Unit
    override fun onActivityDestroyed(activity: Activity) = Unit
}

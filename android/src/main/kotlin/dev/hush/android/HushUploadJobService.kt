package dev.hush.android

import android.app.job.JobParameters
import android.app.job.JobService
import android.util.Log

/**
 * The upload job: checkpoints and performs whatever upload the core says is
 * due now ([dev.hush.Hush.flush]) on a worker thread, then asks to run again
 * when the next one is due. Declared in the library's manifest, so the app
 * merges it without editing its own.
 */
class HushUploadJobService : JobService() {
    override fun onStartJob(params: JobParameters): Boolean {
        // Null when the app does not call HushAndroid.init in Application.onCreate.
        val hush = HushAndroid.instance ?: return false
        Thread({
            try {
                hush.flush()?.let(HushAndroid::scheduleNextUpload)
            } catch (e: RuntimeException) {
                Log.w(TAG, "upload job failed: ${e.javaClass.simpleName}: ${e.message}")
            } finally {
                // No JobScheduler retry: unsent reports stay on disk and the core backs off.
                jobFinished(params, false)
            }
        }, "hush-upload-job").start()
        return true
    }

    /** The flush ends by itself (the uploader has timeouts); nothing to reschedule. */
    override fun onStopJob(params: JobParameters): Boolean = false

    private companion object {
        const val TAG = "hush"
    }
}

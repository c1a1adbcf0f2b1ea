package dev.hush.android

import android.app.job.JobInfo
import android.app.job.JobScheduler
import android.content.ComponentName
import android.content.Context

/**
 * Keeps one periodic [HushUploadJobService] job while collection is on, and
 * a one-off run (id `jobId + 1`) for when the core's next upload is due:
 * each report leaves at its own random time and uploads keep a random gap
 * between them (P7), which a periodic job alone would bunch into one burst.
 * Network is required; no JobScheduler backoff or retry (the core owns
 * backoff, quotas and timing). Not persisted across reboots, which would
 * need RECEIVE_BOOT_COMPLETED: [HushAndroid.init] schedules it again.
 */
internal class UploadScheduler(
    private val context: Context,
    private val jobId: Int,
    private val periodMs: Long,
) {
    private val scheduler: JobScheduler? get() = context.getSystemService(JobScheduler::class.java)

    fun schedule() {
        val jobs = scheduler ?: return
        val pending = jobs.getPendingJob(jobId)
        if (pending != null && pending.service.className == SERVICE && pending.intervalMillis == periodMs) return
        val job = JobInfo.Builder(jobId, ComponentName(context, HushUploadJobService::class.java))
            .setRequiredNetworkType(JobInfo.NETWORK_TYPE_ANY)
            .setPeriodic(periodMs)
            .build()
        jobs.schedule(job)
    }

    /** Runs the upload job once more, [delayMs] from now (the core's next due upload). */
    fun scheduleNext(delayMs: Long) {
        val jobs = scheduler ?: return
        val job = JobInfo.Builder(jobId + 1, ComponentName(context, HushUploadJobService::class.java))
            .setRequiredNetworkType(JobInfo.NETWORK_TYPE_ANY)
            .setMinimumLatency(delayMs.coerceAtLeast(0))
            .build()
        jobs.schedule(job)
    }

    fun cancel() {
        val jobs = scheduler ?: return
        // Only our own jobs: the id space is shared with the app's other jobs.
        for (id in listOf(jobId, jobId + 1)) {
            if (jobs.getPendingJob(id)?.service?.className == SERVICE) jobs.cancel(id)
        }
    }

    private companion object {
        val SERVICE: String = HushUploadJobService::class.java.name
    }
}

package dev.hush.android

import android.app.job.JobInfo
import android.app.job.JobScheduler
import android.content.ComponentName
import android.content.Context

/**
 * Keeps one periodic [HushUploadJobService] job while collection is on.
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

    fun cancel() {
        val jobs = scheduler ?: return
        // Only our own job: the id space is shared with the app's other jobs.
        if (jobs.getPendingJob(jobId)?.service?.className == SERVICE) jobs.cancel(jobId)
    }

    private companion object {
        val SERVICE: String = HushUploadJobService::class.java.name
    }
}

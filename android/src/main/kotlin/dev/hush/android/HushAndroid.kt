package dev.hush.android

import android.app.Application
import android.content.Context
import android.content.SharedPreferences
import dev.hush.Hush
import dev.hush.HushConfig
import dev.hush.HttpUrlConnectionUploader
import dev.hush.Uploader
import java.io.File

/**
 * Hush on Android: one call from `Application.onCreate`.
 *
 * ```
 * val hush = HushAndroid.init(this, keyConfig, gatewayUrl, relayUrl, taskConfig)
 * ```
 *
 * It opens Hush in the app's no-backup directory, binds the two switches of
 * the app's settings screen ([HushSettings.KEY_USAGE_STATISTICS],
 * [HushSettings.KEY_ENHANCED_INCOGNITO]) and follows their changes, writes a
 * checkpoint whenever the app goes to the background, and keeps a periodic
 * [HushUploadJobService] scheduled while collection is on. Everything else
 * (what to send and when, backoff) is the core's.
 *
 * Call it from `Application.onCreate` so that the upload job, which starts
 * the process without an activity, finds Hush ready.
 */
object HushAndroid {
    /** The JobScheduler id of the upload job; pass another if the app uses this one. */
    const val DEFAULT_JOB_ID = 0x48555348 // "HUSH"

    /** How often the upload job asks the core; the core decides whether anything is due. */
    const val DEFAULT_UPLOAD_PERIOD_MS = 6 * 3_600_000L

    @Volatile
    private var current: Binding? = null

    /** The instance [init] opened, or null before [init] and after [shutdown]. */
    @JvmStatic
    val instance: Hush?
        get() = current?.hush

    /**
     * Opens Hush and binds it to the app. The transport settings are
     * [HushConfig]'s: [relayUrl] is required unless [directToCollector] is
     * `true` (the collector then sees each device's IP address), and
     * [taskConfig] is the pinned DAP task configuration (the leader's and
     * helper's URLs and keys, a task per metric).
     *
     * @param preferences where the settings screen stores the two switches;
     *   default: the app's default preferences file (the one androidx
     *   `PreferenceFragmentCompat` writes).
     * @throws IllegalStateException if Hush is initialised already in this process.
     */
    @JvmStatic
    @JvmOverloads
    fun init(
        context: Context,
        keyConfig: ByteArray,
        gatewayUrl: String,
        relayUrl: String?,
        taskConfig: ByteArray,
        preferences: SharedPreferences = HushSettings.defaultPreferences(context),
        uploader: Uploader = HttpUrlConnectionUploader(),
        schemaJson: String? = null,
        jobId: Int = DEFAULT_JOB_ID,
        uploadPeriodMs: Long = DEFAULT_UPLOAD_PERIOD_MS,
        directToCollector: Boolean = false,
    ): Hush = synchronized(this) {
        check(current == null) { "HushAndroid is initialised already" }
        val app = context.applicationContext
        val hush = Hush.start(
            HushConfig(
                dataDir = dataDir(app),
                keyConfig = keyConfig,
                gatewayUrl = gatewayUrl,
                relayUrl = relayUrl,
                taskConfig = taskConfig,
                directToCollector = directToCollector,
                environment = Environment.of(app),
                schemaJson = schemaJson,
                collectionEnabled = HushSettings.collectionEnabled(preferences),
                enhancedIncognito = HushSettings.enhancedIncognito(preferences),
                uploader = uploader,
            ),
        )
        val scheduler = UploadScheduler(app, jobId, uploadPeriodMs)
        val binding = Binding(hush, HushSettings(preferences, hush, scheduler), BackgroundCheckpoint(hush), app as? Application, scheduler)
        binding.start()
        current = binding
        hush
    }

    /**
     * Unbinds and closes Hush (a last checkpoint is written). The upload job
     * stays scheduled; it does nothing while no instance is open. For tests
     * and for apps that must release the data directory.
     */
    @JvmStatic
    fun shutdown() {
        synchronized(this) {
            val binding = current ?: return
            current = null
            binding.stop()
        }
    }

    /** The upload job's one-off next run, when the core's next upload is due. */
    internal fun scheduleNextUpload(delayMs: Long) {
        current?.scheduler?.scheduleNext(delayMs)
    }

    /**
     * Hush's directory: app-private and outside Auto Backup, so that state
     * derived from browsing never leaves the device in a backup and a
     * restore on another device does not resend it.
     */
    @JvmStatic
    fun dataDir(context: Context): File = File(context.noBackupFilesDir, "hush")

    private class Binding(
        val hush: Hush,
        private val settings: HushSettings,
        private val checkpoint: BackgroundCheckpoint,
        private val app: Application?,
        val scheduler: UploadScheduler,
    ) {
        fun start() {
            settings.start()
            app?.registerActivityLifecycleCallbacks(checkpoint)
        }

        fun stop() {
            app?.unregisterActivityLifecycleCallbacks(checkpoint)
            settings.stop()
            hush.close()
        }
    }
}

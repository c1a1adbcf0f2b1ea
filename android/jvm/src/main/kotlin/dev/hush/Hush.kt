package dev.hush

import dev.hush.internal.Background
import dev.hush.internal.Json
import dev.hush.internal.MetricKinds
import dev.hush.internal.NativeBridge
import java.io.Closeable

/**
 * Hush: privacy-first usage statistics for a browser.
 *
 * ```
 * val hush = Hush.start(HushConfig(dataDir, keys, gatewayUrl, relayUrl, AppEnvironment("14.2.7", 34, "de-AT"), taskConfig))
 * val bookmarks = hush.counter("bookmarks.added")       // resolve once
 * val tab = hush.openTab(private = false)
 * tab.pageLoaded(url, loadMs); tab.count(bookmarks)      // cheap, any thread
 * hush.setCollectionEnabled(userChoice)                   // the settings switch
 * ```
 *
 * Recording is memory-only and cheap enough for the UI thread; disk and
 * network work happen on one library-owned daemon thread ("hush-io").
 * Errors: [IllegalArgumentException] for bad input, [IllegalStateException]
 * for use of something closed, [HushException] for disk/sealing trouble and
 * internal errors. Thread-safe.
 */
class Hush private constructor(internal val handle: Long, config: HushConfig) : Closeable {

    internal val background = Background(handle, config.uploader, config.checkpointDelayMs)

    @Volatile
    private var descriptions: Map<String, String>? = null

    companion object {
        /**
         * Opens Hush on [HushConfig.dataDir] (loading the state a previous run
         * saved) and starts its background thread. Only one instance may be
         * open per data directory.
         */
        @JvmStatic
        fun start(config: HushConfig): Hush {
            val handle = NativeBridge.open(
                config.dataDir.path,
                config.schemaJson,
                config.keyConfig,
                config.gatewayUrl,
                config.relayUrl,
                config.taskConfig,
                config.directToCollector,
                config.environment.appVersion,
                config.environment.androidApiLevel,
                config.environment.locale,
                when (config.collectionEnabled) { null -> -1; false -> 0; true -> 1 },
                config.enhancedIncognito,
            )
            val hush = try {
                Hush(handle, config)
            } catch (e: Throwable) {
                NativeBridge.close(handle)
                throw e
            }
            hush.background.start()
            return hush
        }
    }

    /** Opens a tab; [private] is fixed for its life. */
    fun openTab(private: Boolean): Tab = Tab(this, NativeBridge.openTab(handle, private), private)

    /** @throws IllegalArgumentException if the schema has no counter of that name. */
    fun counter(name: String) = Counter(name, resolve(name, MetricKinds.COUNTER), this)
    fun labeledCounter(name: String) = LabeledCounter(name, resolve(name, MetricKinds.LABELED_COUNTER), this)
    fun boolean(name: String) = BooleanMetric(name, resolve(name, MetricKinds.BOOLEAN), this)
    fun histogram(name: String) = Histogram(name, resolve(name, MetricKinds.HISTOGRAM), this)

    /**
     * The user's "Usage statistics" switch (P3). Off deletes every unsent
     * byte, in memory and on disk, before this returns (on the calling
     * thread: a few file deletions), and an upload in progress is dropped
     * before its body is sent. On starts from empty.
     */
    fun setCollectionEnabled(enabled: Boolean) {
        if (!enabled) background.cancelUploads()
        NativeBridge.setCollectionEnabled(handle, enabled)
        if (enabled) background.wakeUploads()
    }

    /** The "Enhanced incognito" switch (P2): on, private tabs record nothing at all. */
    fun setEnhancedIncognito(enabled: Boolean) = NativeBridge.setEnhancedIncognito(handle, enabled)

    /**
     * What became of each sealed report, oldest first (P13): still retrying
     * (with how the last attempt was answered), sent, refused or deleted
     * unsent. A closed day's contents are kept only sealed, so this says when
     * and whether; what it held is what [pendingReport] showed until the day
     * closed.
     */
    @Suppress("UNCHECKED_CAST")
    fun sentReports(): List<SentReport> =
        (Json.parse(NativeBridge.sentHistory(handle)) as List<Map<String, Any?>>).map(SentReport::fromJson)

    /**
     * Every sealed report waiting to be sent (P13), oldest first: its day,
     * the metric it measures, what it holds in plain words, and whether it
     * waits for its send time, is being sent or is retrying.
     */
    @Suppress("UNCHECKED_CAST")
    fun pendingUploads(): List<PendingUpload> =
        (Json.parse(NativeBridge.pendingUploads(handle)) as List<Map<String, Any?>>).map(PendingUpload::fromJson)

    /** Exactly what is waiting to be sent for today; see [PendingReport.describe]. */
    fun pendingReport(): PendingReport =
        PendingReport.fromJson(NativeBridge.pendingReport(handle), descriptions())

    /**
     * Writes a checkpoint soon, on Hush's background thread, without
     * uploading; returns at once. For the moment the app goes to the
     * background (the Android adapter calls it), where the process may be
     * killed without notice.
     */
    fun checkpointSoon() = background.checkpointNow()

    /**
     * Checkpoints and performs every upload that is due now, on the
     * background thread, and returns when that is done: at most one, since
     * uploads keep a random gap between them (P7). Returns how long until
     * the next upload is due, in milliseconds, or null when nothing is
     * pending. The Android adapter's upload job uses it to run again then;
     * otherwise it is for tests and demos.
     *
     * @throws HushException if the checkpoint failed.
     */
    fun flush(): Long? = background.flush()

    /** Writes a last checkpoint and frees the native core. A second close throws [IllegalStateException]. */
    override fun close() = background.close()

    /**
     * A normal tab's recording call returned: a checkpoint follows within
     * [HushConfig.checkpointDelayMs]. Private tabs never call it (P1): see
     * [Tab] for what saves their aggregate counts.
     */
    internal fun changed() = background.changed()

    internal fun own(metric: Metric): Int {
        require(metric.owner === this) { "metric '${metric.name}' belongs to another Hush instance" }
        return metric.index
    }

    private fun resolve(name: String, kind: Int): Int {
        val packed = NativeBridge.metric(handle, name)
        val actual = (packed ushr 32).toInt()
        require(actual == kind) { "metric '$name' is a ${MetricKinds.name(actual)}, not a ${MetricKinds.name(kind)}" }
        return packed.toInt()
    }

    @Suppress("UNCHECKED_CAST")
    private fun descriptions(): Map<String, String> = descriptions ?: run {
        val list = Json.parse(NativeBridge.schemaInfo(handle)) as List<Map<String, Any?>>
        list.associate { it["name"] as String to it["description"] as String }.also { descriptions = it }
    }
}

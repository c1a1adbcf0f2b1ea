package dev.hush.internal

/**
 * The native methods of `libhush_jni`. Every call validates its handle: a
 * closed, stale or forged one is an [IllegalStateException]. Bad input is an
 * [IllegalArgumentException]; I/O and internal errors are a
 * [dev.hush.HushException]. Parameters are nullable so that tests can check
 * the native side's own null handling; the public API never passes null.
 *
 * Not public API: use [dev.hush.Hush]. Keep its names (JNI binds by name).
 */
object NativeBridge {
    init {
        NativeLibrary.load()
    }

    /** [collectionEnabled]: -1 not given yet, 0 off, 1 on. */
    @JvmStatic external fun open(
        dataDir: String?,
        schemaJson: String?,
        keyConfig: ByteArray?,
        gatewayUrl: String?,
        relayUrl: String?,
        taskConfig: ByteArray?,
        directToCollector: Boolean,
        appVersion: String?,
        androidApiLevel: Int,
        locale: String?,
        collectionEnabled: Int,
        enhancedIncognito: Boolean,
    ): Long

    @JvmStatic external fun close(handle: Long)
    @JvmStatic external fun checkpoint(handle: Long)

    @JvmStatic external fun openTab(handle: Long, private: Boolean): Long
    @JvmStatic external fun closeTab(handle: Long, tab: Long)
    @JvmStatic external fun setCollectionEnabled(handle: Long, enabled: Boolean)
    @JvmStatic external fun setEnhancedIncognito(handle: Long, enabled: Boolean)

    @JvmStatic external fun pageLoaded(handle: Long, tab: Long, url: String?, loadMs: Long)
    @JvmStatic external fun searched(handle: Long, tab: Long, url: String?)

    /** `index | kind << 32`; kinds are [MetricKinds]. */
    @JvmStatic external fun metric(handle: Long, name: String?): Long
    @JvmStatic external fun add(handle: Long, tab: Long, metric: Int, n: Long)
    @JvmStatic external fun addLabel(handle: Long, tab: Long, metric: Int, label: String?, n: Long)
    @JvmStatic external fun setBoolean(handle: Long, tab: Long, metric: Int, value: Boolean)
    @JvmStatic external fun accumulate(handle: Long, tab: Long, metric: Int, value: Long)

    /** The open window's report, JSON (hush-core `Report`). */
    @JvmStatic external fun pendingReport(handle: Long): String

    /** JSON `[{"day", "outcome"}]`, oldest first. */
    @JvmStatic external fun sentHistory(handle: Long): String

    /** JSON: the outbox in plain words (hush-core `transparency::PendingUpload`). */
    @JvmStatic external fun pendingUploads(handle: Long): String

    /** `[{"name","type","description","incognito"}]`. */
    @JvmStatic external fun schemaInfo(handle: Long): String

    @JvmStatic external fun nextUpload(handle: Long): NativeUploadTask

    /** [status] < 0: transport error. [retryAfterMs] < 0: none. */
    @JvmStatic external fun uploadFinished(handle: Long, id: String?, status: Int, body: ByteArray?, retryAfterMs: Long)

    /** Test builds only (cargo feature `test-hooks`): panics with [message]. */
    @JvmStatic external fun testPanic(message: String?)

    /**
     * Test builds only: panics while holding [handle]'s lock, as a bug in the
     * core would (the lock is left poisoned).
     */
    @JvmStatic external fun testPanicHoldingLock(handle: Long)

    /** Test builds only: moves the clock of every core (all use the test clock), at once. */
    @JvmStatic external fun testAdvanceClock(deltaMs: Long)

    /**
     * Test builds only: a DAP task configuration for [schemaJson] (null: the
     * shipped schema) whose aggregator keys nobody holds, for tests that
     * never upload to real aggregators.
     */
    @JvmStatic external fun testTaskConfig(schemaJson: String?): ByteArray
}

/** Metric kind codes of [NativeBridge.metric] (hush-jni `instance::kind_code`). */
object MetricKinds {
    const val COUNTER = 1
    const val LABELED_COUNTER = 2
    const val BOOLEAN = 3
    const val HISTOGRAM = 4
    const val DOMAIN = 5
    const val SEARCH_ENGINE = 6

    fun name(kind: Int): String = when (kind) {
        COUNTER -> "counter"
        LABELED_COUNTER -> "labeled counter"
        BOOLEAN -> "boolean"
        HISTOGRAM -> "histogram"
        DOMAIN -> "domain metric"
        SEARCH_ENGINE -> "search engine metric"
        else -> "metric of unknown kind"
    }
}

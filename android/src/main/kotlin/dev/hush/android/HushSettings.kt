package dev.hush.android

import android.content.Context
import android.content.SharedPreferences
import dev.hush.Hush

/**
 * The two user switches, as the app's settings screen stores them in
 * [SharedPreferences], applied to [Hush] now and on every change.
 *
 * - [KEY_USAGE_STATISTICS] (Boolean, absent = not asked yet): off deletes
 *   every unsent byte before the listener returns; absent or not a Boolean
 *   counts as off.
 * - [KEY_ENHANCED_INCOGNITO] (Boolean, default true): P2. Anything but an
 *   explicit `false` counts as on.
 *
 * The listener runs on the thread that commits the change (the main
 * thread for a preference screen).
 */
class HushSettings internal constructor(
    private val preferences: SharedPreferences,
    private val hush: Hush,
    private val scheduler: UploadScheduler,
) : SharedPreferences.OnSharedPreferenceChangeListener {

    companion object {
        const val KEY_USAGE_STATISTICS = "hush_usage_statistics"
        const val KEY_ENHANCED_INCOGNITO = "hush_enhanced_incognito"

        /** The file androidx `PreferenceManager.getDefaultSharedPreferences` uses. */
        @JvmStatic
        fun defaultPreferences(context: Context): SharedPreferences =
            context.getSharedPreferences(context.packageName + "_preferences", Context.MODE_PRIVATE)

        /** null = the user has not chosen yet (Hush records nothing until then). */
        @JvmStatic
        fun collectionEnabled(preferences: SharedPreferences): Boolean? =
            preferences.all[KEY_USAGE_STATISTICS] as? Boolean

        @JvmStatic
        fun enhancedIncognito(preferences: SharedPreferences): Boolean =
            preferences.all[KEY_ENHANCED_INCOGNITO] as? Boolean ?: true
    }

    internal fun start() {
        // SharedPreferences keeps listeners weakly; this object is held by HushAndroid.
        preferences.registerOnSharedPreferenceChangeListener(this)
        // A change between reading the values for Hush.start and registering
        // would be lost otherwise; both setters are idempotent.
        applyCollection()
        hush.setEnhancedIncognito(enhancedIncognito(preferences))
    }

    internal fun stop() = preferences.unregisterOnSharedPreferenceChangeListener(this)

    override fun onSharedPreferenceChanged(changed: SharedPreferences?, key: String?) {
        when (key) {
            KEY_USAGE_STATISTICS -> applyCollection()
            KEY_ENHANCED_INCOGNITO -> hush.setEnhancedIncognito(enhancedIncognito(preferences))
            // null: the file was cleared (API 30+); both switches fall back.
            null -> {
                applyCollection()
                hush.setEnhancedIncognito(enhancedIncognito(preferences))
            }
        }
    }

    private fun applyCollection() {
        val enabled = collectionEnabled(preferences) == true
        hush.setCollectionEnabled(enabled)
        if (enabled) scheduler.schedule() else scheduler.cancel()
    }
}

package dev.hush

import dev.hush.internal.NativeBridge
import java.io.Closeable

/**
 * A browser tab, opened with [Hush.openTab]. Every call that can carry
 * browsing data goes through a tab, and a private tab's calls change nothing
 * (P1): they return before anything is recorded, written or logged. A closed
 * tab's calls throw [IllegalStateException]; they are never recorded as a
 * normal tab's.
 *
 * The calls are cheap enough for the UI thread (memory only; the disk work is
 * on Hush's background thread). Thread-safe.
 */
class Tab internal constructor(private val hush: Hush, private val id: Long, val isPrivate: Boolean) : Closeable {

    /**
     * A page finished loading. Only its registrable domain is kept, and only
     * when it is on the shipped list of popular domains; the rest of the URL
     * never leaves this call (P5).
     *
     * @throws IllegalArgumentException for an empty URL, one longer than 2 Mi
     *   characters, or one with an unpaired surrogate (invalid UTF-16).
     */
    fun pageLoaded(url: String, loadMs: Long) {
        NativeBridge.pageLoaded(hush.handle, id, url, loadMs)
        hush.changed()
    }

    /** A search results page was shown: only the engine is counted, never the query (P6). */
    fun searched(url: String) {
        NativeBridge.searched(hush.handle, id, url)
        hush.changed()
    }

    @JvmOverloads
    fun count(metric: Counter, n: Long = 1) {
        NativeBridge.add(hush.handle, id, hush.own(metric), n)
        hush.changed()
    }

    /** @param label one of the labels the schema declares for [metric]. */
    @JvmOverloads
    fun count(metric: LabeledCounter, label: String, n: Long = 1) {
        NativeBridge.addLabel(hush.handle, id, hush.own(metric), label, n)
        hush.changed()
    }

    fun set(metric: BooleanMetric, value: Boolean) {
        NativeBridge.setBoolean(hush.handle, id, hush.own(metric), value)
        hush.changed()
    }

    fun accumulate(metric: Histogram, value: Long) {
        NativeBridge.accumulate(hush.handle, id, hush.own(metric), value)
        hush.changed()
    }

    /** Closes the tab; a second close throws [IllegalStateException]. */
    override fun close() {
        NativeBridge.closeTab(hush.handle, id)
    }
}

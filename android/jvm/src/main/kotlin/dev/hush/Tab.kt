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
 * on Hush's background thread). A private tab's calls do not reach that
 * thread at all: they schedule no checkpoint, so no file is written, sealed
 * or timed because of them, even after midnight. Thread-safe.
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
        recorded()
    }

    /** A search results page was shown: only the engine is counted, never the query (P6). */
    fun searched(url: String) {
        NativeBridge.searched(hush.handle, id, url)
        recorded()
    }

    @JvmOverloads
    fun count(metric: Counter, n: Long = 1) {
        NativeBridge.add(hush.handle, id, hush.own(metric), n)
        recorded()
    }

    /** @param label one of the labels the schema declares for [metric]. */
    @JvmOverloads
    fun count(metric: LabeledCounter, label: String, n: Long = 1) {
        NativeBridge.addLabel(hush.handle, id, hush.own(metric), label, n)
        recorded()
    }

    fun set(metric: BooleanMetric, value: Boolean) {
        NativeBridge.setBoolean(hush.handle, id, hush.own(metric), value)
        recorded()
    }

    fun accumulate(metric: Histogram, value: Long) {
        NativeBridge.accumulate(hush.handle, id, hush.own(metric), value)
        recorded()
    }

    /**
     * A call returned. A normal tab's may have changed the state, so a
     * checkpoint follows soon. A private tab's never schedules one (P1): with
     * Enhanced incognito on it recorded nothing; with it off it may have
     * counted an `aggregate` counter, in memory, and that count is saved by
     * the checkpoints that happen anyway (the periodic one, the one when the
     * app goes to the background, [Hush.checkpointSoon], or the last one at
     * [Hush.close]), so no disk write is ever timed by private browsing.
     */
    private fun recorded() {
        if (!isPrivate) hush.changed()
    }

    /** Closes the tab; a second close throws [IllegalStateException]. */
    override fun close() {
        NativeBridge.closeTab(hush.handle, id)
    }
}

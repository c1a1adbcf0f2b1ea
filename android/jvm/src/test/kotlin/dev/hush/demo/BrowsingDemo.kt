package dev.hush.demo

import dev.hush.AppEnvironment
import dev.hush.Hush
import dev.hush.HushConfig
import dev.hush.HttpUrlConnectionUploader
import dev.hush.Tab
import dev.hush.internal.NativeBridge
import java.io.File
import kotlin.system.exitProcess

/**
 * The demo's browsing session, one device, through the real Kotlin API →
 * JNI → Rust core → one DAP report per metric, secret-shared and sealed →
 * the leader's OHTTP gateway `scripts/demo` started on loopback.
 *
 * The day boundary needs a clock that moves, so this runs against the
 * `test-hooks` build of the native library (a test clock; everything else is
 * the shipped code path). The device's day 1 is the day before yesterday
 * (UTC), so that the collector can collect a day that is over. Every URL,
 * query and private-tab call carries the marker CANARY so the script can
 * prove none of it reached the servers.
 *
 * Usage: BrowsingDemo DATA_DIR OHTTP_KEYS_FILE GATEWAY_URL TASK_CONFIG_FILE
 */
object BrowsingDemo {
    private const val DAY_MS = 86_400_000L
    private const val HOUR_MS = 3_600_000L

    @JvmStatic
    fun main(args: Array<String>) {
        if (args.size != 4) {
            System.err.println("usage: BrowsingDemo DATA_DIR OHTTP_KEYS_FILE GATEWAY_URL TASK_CONFIG_FILE")
            exitProcess(2)
        }
        val (dataDir, keysFile, gateway, tasksFile) = args
        // 08:00 UTC the day before yesterday.
        val now = System.currentTimeMillis()
        val dayOne = now - Math.floorMod(now, DAY_MS) - 2 * DAY_MS
        NativeBridge.testAdvanceClock(dayOne + 8 * HOUR_MS - now)
        val config = HushConfig(
            dataDir = File(dataDir),
            keyConfig = File(keysFile).readBytes(),
            gatewayUrl = gateway,
            relayUrl = null,
            // The demo has no relay: the leader's gateway is on loopback.
            directToCollector = true,
            taskConfig = File(tasksFile).readBytes(),
            environment = AppEnvironment(appVersion = "14.2.7", androidApiLevel = 34, locale = "de-AT"),
            collectionEnabled = true,
            uploader = HttpUrlConnectionUploader(),
        )
        Hush.start(config).use { hush ->
            val bookmarks = hush.counter("bookmarks.added")
            val readerMode = hush.counter("reader_mode.used")
            val downloads = hush.counter("downloads.started")
            val tabsOpened = hush.counter("tabs.opened")
            val privateOpened = hush.counter("tabs.private_opened")
            val settings = hush.labeledCounter("settings.switched")
            val news = hush.labeledCounter("news.items_viewed")

            println("Day 1 (UTC), browsing:")
            val tab = hush.openTab(private = false).also { it.count(tabsOpened) }
            tab.visit("https://www.wikipedia.org/wiki/Oblivious_HTTP?from=CANARY-normal-query", 840)
            tab.visit("https://en.wikipedia.org/wiki/Special:Search#CANARY-fragment", 610)
            tab.visit("https://CANARY-subdomain.bbc.co.uk/news/world-asia-52484123", 1_900)
            tab.visit("https://my-little-blog.example.net/CANARY-path/post.html", 2_600)
            tab.visit("https://user:CANARY-password@www.amazon.com/", 700)
            tab.visit("http://192.168.1.1/admin?CANARY-router", 30)
            tab.visit("file:///sdcard/Download/CANARY-file.html", 5)
            tab.search("https://www.google.com/search?q=CANARY+how+to+hide+my+health+condition")
            tab.search("https://duckduckgo.com/?q=CANARY+second+search")
            tab.act("bookmark added") { it.count(bookmarks) }
            tab.act("reader mode opened") { it.count(readerMode) }
            tab.act("setting switched: dark mode on") { it.count(settings, "dark_mode_on") }
            tab.act("news feed: 3 technology items viewed") { it.count(news, "technology", 3) }

            val incognito = hush.openTab(private = true)
            incognito.count(privateOpened)
            incognito.visit("https://CANARY-private.example.org/secret?q=CANARY-private-query", 500)
            incognito.search("https://www.bing.com/search?q=CANARY+private+search")
            incognito.act("download started") { it.count(downloads) }
            println("  (Enhanced incognito is on: the private tab records nothing at all)")
            hush.setEnhancedIncognito(false)
            incognito.act("private tab opened, counted as an aggregate (Enhanced incognito off)") { it.count(privateOpened) }
            incognito.visit("https://www.youtube.com/watch?v=CANARY-private-video", 900)
            hush.setEnhancedIncognito(true)
            incognito.close()

            println()
            println("What the app can show the user now (pendingReport().describe()):")
            println(hush.pendingReport().describe().prependIndent("  "))

            // Midnight passes (the app is running: the day is sealed five
            // minutes later, one DAP report per metric).
            NativeBridge.testAdvanceClock(16 * HOUR_MS + 5 * 60_000L)
            println()
            println("Day 2 (UTC), 00:05: one more page; day 1 is sealed.")
            tab.visit("https://www.wikipedia.org/wiki/Day_two", 700)
            var wait = hush.flush()
            val pending = hush.pendingUploads()
            println("  ${pending.size} sealed reports wait, each for its own random time (pendingUploads()):")
            for (p in pending.take(3)) println("    " + p.describe())
            println("    ...")
            // The uploader sends each at its time, a random gap apart; the
            // demo's clock jumps from one to the next.
            var uploads = 0
            while (wait != null) {
                NativeBridge.testAdvanceClock(wait + 1)
                wait = hush.flush()
                uploads++
                check(uploads < 200) { "the uploads did not finish" }
            }
            println()
            println("What was sent (sentReports()):")
            for (r in hush.sentReports()) println("  " + r.describe())
            tab.close()
        }
    }

    private fun Tab.label() = if (isPrivate) "private" else "normal "

    private fun Tab.visit(url: String, loadMs: Long) {
        println("  ${label()} tab  page    $url")
        pageLoaded(url, loadMs)
    }

    private fun Tab.search(url: String) {
        println("  ${label()} tab  search  $url")
        searched(url)
    }

    private fun Tab.act(what: String, action: (Tab) -> Unit) {
        println("  ${label()} tab  $what")
        action(this)
    }
}

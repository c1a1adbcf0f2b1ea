package dev.hush

import java.io.File

/** The app's coarse environment (P8): reported as major.minor, API level, language only. */
data class AppEnvironment(
    /** e.g. "14.2.7"; only "14.2" is kept. */
    val appVersion: String,
    val androidApiLevel: Int,
    /** A BCP 47 tag or Java locale string, e.g. "de-AT"; only "de" is kept. */
    val locale: String,
)

/**
 * Everything [Hush.start] needs.
 *
 * @property dataDir an app-private directory Hush owns (created if missing).
 * @property keyConfig the collector's pinned `application/ohttp-keys`, newest
 *   configuration first (Hush seals to the newest it supports).
 * @property gatewayUrl the collector's OHTTP gateway (what the relay forwards to).
 * @property relayUrl an OHTTP relay, so the collector never sees the device's
 *   IP address. Required unless [directToCollector] is set.
 * @property taskConfig the pinned DAP task configuration (JSON, format
 *   `hush-dap-tasks/1`, made by the operator, e.g. with `hush dap-setup`):
 *   the leader's and helper's URLs and HPKE keys, and one task per metric of
 *   the schema. Every measurement leaves the device as a report of its task,
 *   secret-shared between the two (P14). The leader's URL is what the sealed
 *   inner request names, a setting apart from [gatewayUrl], so any standard
 *   OHTTP gateway can sit in front of the leader without rewrites. Every
 *   device of an app must ship the same bytes (P15).
 * @property directToCollector `true` sends reports straight to the gateway,
 *   without a relay: the collector then sees each device's IP address next
 *   to its reports. An explicit opt-out (with [relayUrl] null); never the
 *   default.
 * @property schemaJson the metric schema as JSON, converted from its TOML file
 *   by `hush schema FILE.toml` at build time; null = the one Hush ships.
 * @property collectionEnabled the user's "Usage statistics" choice as the app
 *   saved it; null = not asked yet (nothing is recorded until it is given).
 * @property enhancedIncognito the "Enhanced incognito" setting (default on).
 * @property uploader performs the HTTP POSTs; default on HttpURLConnection.
 * @property checkpointDelayMs how long after a change the state is written.
 */
class HushConfig @JvmOverloads constructor(
    val dataDir: File,
    val keyConfig: ByteArray,
    val gatewayUrl: String,
    val relayUrl: String?,
    val environment: AppEnvironment,
    val taskConfig: ByteArray,
    val schemaJson: String? = null,
    val collectionEnabled: Boolean? = null,
    val enhancedIncognito: Boolean = true,
    val uploader: Uploader = HttpUrlConnectionUploader(),
    val checkpointDelayMs: Long = 30_000,
    val directToCollector: Boolean = false,
)

package dev.hush.android

import android.content.Context
import android.os.Build
import dev.hush.AppEnvironment

/** The coarse environment (P8) from the platform; the core keeps major.minor and the language only. */
internal object Environment {
    fun of(context: Context): AppEnvironment = AppEnvironment(
        appVersion = versionName(context),
        androidApiLevel = Build.VERSION.SDK_INT,
        locale = context.resources.configuration.locales[0].toLanguageTag(),
    )

    private fun versionName(context: Context): String {
        // The (String, int) overload is deprecated from API 33 but is the only one at minSdk 26.
        @Suppress("DEPRECATION")
        val name = context.packageManager.getPackageInfo(context.packageName, 0).versionName
        return if (name.isNullOrBlank()) "0.0" else name
    }
}

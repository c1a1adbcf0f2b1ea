package dev.hush.internal

/**
 * Loads `libhush_jni`: from the path in system property [PATH_PROPERTY] when
 * set (tests, benchmarks, apps that unpack it themselves), otherwise by name
 * through `java.library.path` (on Android, the APK's native libraries).
 */
object NativeLibrary {
    const val PATH_PROPERTY = "hush.native.lib"
    const val NAME = "hush_jni"

    fun load() {
        val path = System.getProperty(PATH_PROPERTY)
        if (path.isNullOrEmpty()) System.loadLibrary(NAME) else System.load(path)
    }
}

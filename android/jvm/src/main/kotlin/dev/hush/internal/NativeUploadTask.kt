package dev.hush.internal

/**
 * What the core wants done next, built by the native side through a
 * constructor id cached at load (signature `(IJLjava/lang/String;Ljava/lang/String;Ljava/lang/String;[B)V`).
 * Not public API; keep its shape (JNI binds by signature).
 */
class NativeUploadTask(
    @JvmField val kind: Int,
    @JvmField val waitMs: Long,
    @JvmField val id: String?,
    @JvmField val url: String?,
    /** `name: value` lines. */
    @JvmField val headers: String?,
    @JvmField val body: ByteArray?,
) {
    companion object {
        const val DONE = 0
        const val WAIT = 1
        const val UPLOAD = 2
    }
}

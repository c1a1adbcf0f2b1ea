/*
 * The start object of an Android shared library, written for Hush's no-NDK
 * build (scripts/android/sysroot). It provides what bionic expects every
 * shared library to carry itself:
 *
 * - __dso_handle, hidden: the library's identity for __cxa_atexit and
 *   __cxa_thread_atexit_impl (Rust's thread-local destructors pass it);
 * - a destructor that runs __cxa_finalize(&__dso_handle) when the library is
 *   unloaded, so handlers registered against it run then, not after;
 * - atexit, hidden: an atexit that registers against this library;
 * - the .note.android.ident note: the API level the library was built for.
 */

extern void __cxa_finalize(void *dso);
extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);

__attribute__((visibility("hidden"))) void *__dso_handle = &__dso_handle;

__attribute__((destructor)) static void hush_crt_on_unload(void) {
  __cxa_finalize(&__dso_handle);
}

__attribute__((visibility("hidden"))) int atexit(void (*fn)(void)) {
  return __cxa_atexit((void (*)(void *))fn, (void *)0, &__dso_handle);
}

#ifndef HUSH_ANDROID_API
#error "build with -DHUSH_ANDROID_API=<level>"
#endif

#define HUSH_STR2(x) #x
#define HUSH_STR(x) HUSH_STR2(x)

/*
 * ELF note "Android", type 1 (NT_VERSION), in a SHT_NOTE section so that the
 * linker files it under PT_NOTE: the API level, then two 64-byte fields an
 * NDK fills with its version and build number. There is no NDK here, so
 * they stay empty (zero) rather than claim one.
 */
__asm__(".pushsection .note.android.ident,\"a\",%note\n"
        ".balign 4\n"
        ".long 8\n"             /* namesz: "Android\0" */
        ".long 4 + 64 + 64\n"   /* descsz */
        ".long 1\n"             /* type */
        ".asciz \"Android\"\n"
        ".long " HUSH_STR(HUSH_ANDROID_API) "\n"
        ".zero 64\n"
        ".zero 64\n"
        ".popsection\n");

/* Hush's minimal bionic declarations: see README.md. Not guarded: like any
 * assert.h, each inclusion follows the current NDEBUG. */
#include <sys/cdefs.h>

#undef assert
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
__BEGIN_DECLS
void __assert2(const char* file, int line, const char* function, const char* expr)
    __hush_noexcept __attribute__((__noreturn__));
__END_DECLS
#define assert(e) ((e) ? (void)0 : __assert2(__FILE__, __LINE__, __PRETTY_FUNCTION__, #e))
#endif

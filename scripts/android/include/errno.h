/* Hush's minimal bionic declarations: see README.md. */
#ifndef HUSH_ERRNO_H
#define HUSH_ERRNO_H
#include <sys/cdefs.h>

__BEGIN_DECLS
int* __errno(void) __hush_noexcept __attribute__((__const__));
__END_DECLS
#define errno (*__errno())

/* Linux's values, the same on every Android ABI. */
#define EFAULT 14
#define EINVAL 22

#endif

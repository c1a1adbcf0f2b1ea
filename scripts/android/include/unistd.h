/* Hush's minimal bionic declarations: see README.md. */
#ifndef HUSH_UNISTD_H
#define HUSH_UNISTD_H
#include <sys/cdefs.h>
#include <sys/types.h>

__BEGIN_DECLS
long syscall(long number, ...);
__END_DECLS

#endif

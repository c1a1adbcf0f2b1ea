/* Hush's minimal bionic declarations: see ../README.md. */
#ifndef HUSH_SYS_AUXV_H
#define HUSH_SYS_AUXV_H
#include <sys/cdefs.h>

#define AT_HWCAP 16
#define AT_HWCAP2 26

__BEGIN_DECLS
unsigned long getauxval(unsigned long type);
__END_DECLS

#endif

/* Hush's minimal bionic declarations: see ../README.md. */
#ifndef HUSH_SYS_TYPES_H
#define HUSH_SYS_TYPES_H
#include <sys/cdefs.h>
#include <stddef.h>
#include <stdint.h>

typedef __PTRDIFF_TYPE__ ssize_t;
typedef int pid_t;

#endif

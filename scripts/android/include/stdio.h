/* Hush's minimal bionic declarations: see README.md. */
#ifndef HUSH_STDIO_H
#define HUSH_STDIO_H
#include <sys/cdefs.h>
#include <stdarg.h>
#include <stddef.h>

__BEGIN_DECLS
typedef struct __sFILE FILE;
/* The variable exists from API 23 (LIBC, `stderr; # var introduced=23`). */
extern FILE* stderr;
int fprintf(FILE* stream, const char* format, ...) __attribute__((__format__(printf, 2, 3)));
int snprintf(char* buf, size_t size, const char* format, ...) __attribute__((__format__(printf, 3, 4)));
int fflush(FILE* stream);
__END_DECLS

#endif

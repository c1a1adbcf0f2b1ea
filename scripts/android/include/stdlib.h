/* Hush's minimal bionic declarations: see README.md. */
#ifndef HUSH_STDLIB_H
#define HUSH_STDLIB_H
#include <sys/cdefs.h>
#include <stddef.h>

__BEGIN_DECLS
void abort(void) __hush_noexcept __attribute__((__noreturn__));
char* getenv(const char* name);
void* malloc(size_t size);
void free(void* p);
__END_DECLS

#endif

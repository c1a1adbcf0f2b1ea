/* Hush's minimal bionic declarations: see README.md. */
#ifndef HUSH_DLFCN_H
#define HUSH_DLFCN_H
#include <sys/cdefs.h>

typedef struct {
  const char* dli_fname;
  void* dli_fbase;
  const char* dli_sname;
  void* dli_saddr;
} Dl_info;

__BEGIN_DECLS
int dladdr(const void* addr, Dl_info* info);
__END_DECLS

#endif

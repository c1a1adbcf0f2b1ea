/* Hush's minimal bionic declarations: see README.md. */
#ifndef HUSH_LINK_H
#define HUSH_LINK_H
#include <sys/cdefs.h>
#include <stddef.h>
#include <stdint.h>
#include <elf.h>

#if defined(__LP64__)
#define ElfW(type) Elf64_##type
#else
#define ElfW(type) Elf32_##type
#endif

/* The first four fields, the ones every API level has (bionic appends
 * dlpi_adds, dlpi_subs and TLS fields; this code reads none of them). */
struct dl_phdr_info {
  ElfW(Addr) dlpi_addr;
  const char* dlpi_name;
  const ElfW(Phdr)* dlpi_phdr;
  ElfW(Half) dlpi_phnum;
};

__BEGIN_DECLS
int dl_iterate_phdr(int (*callback)(struct dl_phdr_info* info, size_t size, void* data), void* data);
#if defined(__arm__)
typedef uintptr_t _Unwind_Ptr;
_Unwind_Ptr dl_unwind_find_exidx(_Unwind_Ptr pc, int* count);
#endif
__END_DECLS

#endif

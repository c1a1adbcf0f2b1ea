/* Hush's minimal bionic declarations: see README.md. The lock's size is
 * bionic's (libc/include/bits/pthread_types.h): 14 int32s on LP64 ABIs, 10
 * on 32-bit ones. libunwind allocates it; bionic's functions write into it. */
#ifndef HUSH_PTHREAD_H
#define HUSH_PTHREAD_H
#include <sys/cdefs.h>
#include <stdint.h>

typedef struct {
#if defined(__LP64__)
  int32_t __private[14];
#else
  int32_t __private[10];
#endif
} pthread_rwlock_t;

#define PTHREAD_RWLOCK_INITIALIZER { { 0 } }

#if defined(__LP64__)
_Static_assert(sizeof(pthread_rwlock_t) == 56, "bionic's LP64 pthread_rwlock_t is 56 bytes");
#else
_Static_assert(sizeof(pthread_rwlock_t) == 40, "bionic's 32-bit pthread_rwlock_t is 40 bytes");
#endif

__BEGIN_DECLS
int pthread_rwlock_rdlock(pthread_rwlock_t* lock);
int pthread_rwlock_wrlock(pthread_rwlock_t* lock);
int pthread_rwlock_unlock(pthread_rwlock_t* lock);
__END_DECLS

#endif

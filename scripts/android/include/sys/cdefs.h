/* Hush's minimal bionic declarations: see ../README.md. */
#ifndef HUSH_SYS_CDEFS_H
#define HUSH_SYS_CDEFS_H

#define __BIONIC__ 1

#ifdef __cplusplus
#define __BEGIN_DECLS extern "C" {
#define __END_DECLS }
#define __hush_noexcept noexcept
#else
#define __BEGIN_DECLS
#define __END_DECLS
#define __hush_noexcept
#endif

#endif

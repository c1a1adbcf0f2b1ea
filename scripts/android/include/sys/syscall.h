/* Hush's minimal bionic declarations: see ../README.md. The one system call
 * libunwind makes directly (arm64 only), by the kernel's arm64 number. */
#ifndef HUSH_SYS_SYSCALL_H
#define HUSH_SYS_SYSCALL_H

#if defined(__aarch64__)
#define SYS_rt_sigprocmask 135
#else
#error "SYS_rt_sigprocmask is only declared for arm64 here"
#endif

#endif

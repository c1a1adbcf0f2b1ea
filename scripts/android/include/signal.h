/* Hush's minimal bionic declarations: see README.md. */
#ifndef HUSH_SIGNAL_H
#define HUSH_SIGNAL_H

/* bionic's LP64 sigset_t is the kernel's (one unsigned long); 32-bit ABIs
 * never include this (libunwind reads it on arm64 only). */
#if defined(__LP64__)
typedef unsigned long sigset_t;
#define NSIG 65
#else
#error "sigset_t is only declared for 64-bit ABIs here"
#endif

#endif
